import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { CallbackHosts } from './callbackHosts';

const badRequest = (message: string): GraphQLError => new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });

/** Why an `extensions.subscription` (the router's HTTP callback protocol) cannot be used, or undefined. */
export function callbackProblem(ext: unknown, hosts: CallbackHosts): string | undefined {
  if (typeof ext !== 'object' || ext === null || Array.isArray(ext)) return 'extensions.subscription must be an object';
  const e = ext as Record<string, unknown>;
  const url = e.callbackUrl ?? e.callback_url;
  if (typeof url !== 'string' || url.length > 2048 || !/^https?:\/\//i.test(url) || !URL.canParse(url)) {
    return 'extensions.subscription.callbackUrl must be an http(s) URL';
  }
  if (!hosts.allows(url)) return hosts.refusal;
  const id = e.subscriptionId ?? e.subscription_id;
  if (typeof id !== 'string' || id === '' || id.length > 256) return 'extensions.subscription.subscriptionId must be a string of 1..256 characters';
  if (typeof e.verifier !== 'string' || e.verifier === '' || e.verifier.length > 1024) return 'extensions.subscription.verifier must be a string of 1..1024 characters';
  const beat = e.heartbeatIntervalMs ?? e.heartbeat_interval_ms;
  if (beat !== undefined && !(Number.isInteger(beat) && (beat as number) >= 0 && (beat as number) <= 3_600_000)) {
    return 'extensions.subscription.heartbeatIntervalMs must be an integer in 0..3600000';
  }
  return undefined;
}

/**
 * Subscriptions over plain HTTP: a subscription operation without the router's callback
 * extension is refused 400 BAD_REQUEST (they are served over the websocket), and the
 * callback plugin (`inner`, ApolloServerPluginSubscriptionCallback) only ever sees a
 * well-formed `extensions.subscription` on a subscription operation. Unwrapped, it calls
 * back whatever `callbackUrl` any request carries, queries included, with 5 retries, and a
 * malformed one (or one that does not answer) became a 500 "Unexpected error value".
 * A callback URL must name one of `hosts` (SUBSCRIPTION_CALLBACK_HOSTS).
 */
export function subscriptionsOverHttp<C extends BaseContext>(inner: ApolloServerPlugin<C>, hosts: CallbackHosts): ApolloServerPlugin<C> {
  return {
    serverWillStart: inner.serverWillStart?.bind(inner),
    async requestDidStart(rc) {
      const ext: unknown = rc.request.extensions?.subscription;
      if (ext === undefined || ext === null) {
        return {
          async didResolveOperation({ operation }) {
            if (operation?.operation === 'subscription') throw badRequest('subscriptions are served over websocket at /graphql (graphql-transport-ws)');
          },
        };
      }
      const problem = callbackProblem(ext, hosts);
      const listener = problem ? undefined : await inner.requestDidStart?.(rc);
      let subscribed = false;
      return {
        async didResolveOperation({ operation }) {
          if (problem) throw badRequest(problem);
          if (operation?.operation !== 'subscription') throw badRequest('extensions.subscription applies to subscription operations only');
          subscribed = true;
        },
        responseForOperation: async (ctx) => (subscribed ? ((await listener?.responseForOperation?.(ctx)) ?? null) : null),
        async willSendResponse(ctx) {
          if (!subscribed) return;
          await listener?.willSendResponse?.(ctx);
          const { response } = ctx;
          // The callback's `check` failed (the URL did not answer as a router does): the request's fault.
          if ((response.http.status ?? 200) >= 500 && response.body.kind === 'single') {
            response.http.status = 400;
            const refusal = { message: 'the subscription callback did not answer its check (extensions.subscription.callbackUrl)', extensions: { code: 'BAD_REQUEST' } };
            response.body.singleResult.errors = [refusal as unknown as GraphQLError];
          }
        },
      };
    },
  };
}
