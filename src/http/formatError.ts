import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { clip, CounterError, ECHO_LIMIT, ErrorCode, newRequestId } from '../errors';
import type { Logger } from '../logger';

/**
 * A bad `Long`/`DateTime`/name literal written inline in a query fails during validation,
 * and Apollo re-labels every validation error GRAPHQL_VALIDATION_FAILED. The contract
 * promises BAD_USER_INPUT (or our other codes) for those refusals, so restore the code of
 * our own error underneath; Apollo's own validation errors keep theirs.
 */
export function keepCounterErrorCode(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  let cause: unknown = error;
  for (let i = 0; i < 4 && cause && !(cause instanceof CounterError); i++) {
    cause = (cause as { originalError?: unknown }).originalError;
  }
  if (cause instanceof CounterError && formatted.extensions?.code !== cause.code) {
    return { ...formatted, extensions: { ...formatted.extensions, ...cause.extensions, code: cause.code } };
  }
  return formatted;
}

/** Longest message an answer carries (characters): our own words plus clipped echoes fit within it. */
const MESSAGE_LIMIT = 200;
/** A JSON string literal inside a message (graphql-js quotes the values it repeats). */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;
/** A long unquoted run: a number or a literal repeated as it was written ("got 999…"). */
const LONG_RUN = /[^\s"]{61,}/g;

/**
 * Bounds what an error repeats of the client's input: graphql-js quotes a whole invalid
 * variable value ("Variable "$x" got invalid value …"), a scalar's refusal may add it again;
 * a megabyte sent must not come back twice. Each quoted value and each long unquoted run
 * keeps ECHO_LIMIT characters, the message MESSAGE_LIMIT, string extensions ECHO_LIMIT.
 */
export function boundError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  let message = formatted.message;
  if (message.length > ECHO_LIMIT) {
    message = message.replace(QUOTED, (q) => (q.length <= ECHO_LIMIT + 2 ? q : `"${clip(q.slice(1, -1))}"`));
    message = message.replace(LONG_RUN, (run) => clip(run));
    message = clip(message, MESSAGE_LIMIT);
  }
  let extensions = formatted.extensions;
  if (extensions && Object.values(extensions).some((v) => typeof v === 'string' && v.length > ECHO_LIMIT)) {
    extensions = Object.fromEntries(Object.entries(extensions).map(([k, v]) => [k, typeof v === 'string' ? clip(v) : v]));
  }
  return message === formatted.message && extensions === formatted.extensions ? formatted : { ...formatted, message, extensions };
}

export type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export interface ErrorFormatting {
  /** NODE_ENV=production: an unexpected error answers a fixed message, its details only in the log. */
  production: boolean;
  log: Pick<Logger, 'error' | 'warn'>;
}

/**
 * The one error formatter of every path (Apollo, the compiled path, the websocket): our
 * codes restored, echoes bounded, UNAVAILABLE's cause and unexpected errors logged under the
 * `requestId` the answer carries. In production an unexpected error (INTERNAL_SERVER_ERROR)
 * answers "Internal server error" and that id, nothing of the exception.
 */
export function createFormatError({ production, log }: ErrorFormatting): FormatError {
  const logged = new WeakSet<object>();
  return (formatted, error) => {
    const out = boundError(keepCounterErrorCode(formatted, error));
    const code = out.extensions?.code;
    if (code === ErrorCode.Unavailable) {
      const counterError = innermost(error);
      if (counterError && !logged.has(counterError)) {
        logged.add(counterError);
        log.warn({ requestId: out.extensions?.requestId, err: (counterError as { cause?: unknown }).cause }, 'backing store unreachable');
      }
      return out;
    }
    if (code === 'INTERNAL_SERVER_ERROR' && refusedByApollo(error)) return { ...out, extensions: { ...out.extensions, code: 'BAD_REQUEST' } };
    if (code !== 'INTERNAL_SERVER_ERROR' && !(code === undefined && unexpected(error))) return out;
    const requestId = newRequestId();
    log.error({ requestId, err: innermost(error) ?? error, path: out.path }, 'unexpected error');
    if (!production) return { ...out, extensions: { ...out.extensions, code: 'INTERNAL_SERVER_ERROR', requestId } };
    return {
      message: 'Internal server error',
      ...(out.locations ? { locations: out.locations } : {}),
      ...(out.path ? { path: out.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
    };
  };
}

/** The error under GraphQL's wrappers (originalError chain). */
function innermost(error: unknown): object | undefined {
  let e: unknown = error;
  for (let i = 0; i < 4 && e instanceof GraphQLError && e.originalError; i++) e = e.originalError;
  return typeof e === 'object' && e !== null ? e : undefined;
}

/**
 * A request Apollo refused on purpose without a code (a persisted query whose sha256 does not
 * match it): thrown with a 4xx `http` status, it is the client's fault, not an internal error.
 */
function refusedByApollo(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.originalError) return false;
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** A failure that is not a GraphQL refusal: an exception thrown by our code or a library. */
function unexpected(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return true;
  const inner = innermost(error);
  return inner !== error && !(inner instanceof GraphQLError);
}

/**
 * graphql-ws sends graphql-js's request errors (syntax, validation, variables, operation
 * choice) as they come, without a code; Apollo labels the same errors over HTTP. The
 * websocket gets Apollo's codes too, so clients handle both transports by `extensions.code`.
 */
export function withRequestErrorCode(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (formatted.extensions?.code !== undefined || formatted.path !== undefined) return formatted;
  const m = formatted.message;
  const code = m.startsWith('Syntax Error')
    ? 'GRAPHQL_PARSE_FAILED'
    : m.startsWith('Variable "$')
      ? ErrorCode.BadUserInput
      : /^(Unable to identify operation|Must provide operation name|Unknown operation named)/.test(m)
        ? 'OPERATION_RESOLUTION_FAILURE'
        : 'GRAPHQL_VALIDATION_FAILED';
  return { ...formatted, extensions: { ...formatted.extensions, code } };
}

/**
 * An answered error's code as a metric label: the code, or the one `withRequestErrorCode`
 * gives a request error that has none yet; anything not shaped like our codes is `OTHER`,
 * so a label can never carry caller-chosen text.
 */
export function errorCodeLabel(formatted: GraphQLFormattedError): string {
  const code = formatted.extensions?.code ?? withRequestErrorCode(formatted).extensions?.code;
  return typeof code === 'string' && /^[A-Z][A-Z_]{0,47}$/.test(code) ? code : 'OTHER';
}
