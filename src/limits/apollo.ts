import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { OperationLimits } from './operationLimits';

/** Apollo answers an error thrown by a plugin hook with the status in `extensions.http` (removed from the answer). */
const refusal = (err: GraphQLError): GraphQLError =>
  new GraphQLError(err.message, { nodes: err.nodes, originalError: err, extensions: { ...err.extensions, http: { status: 400 } } });

/**
 * The per-request limits in Apollo's pipeline: `didResolveOperation` runs after validation
 * and before execution, with the request's variables: lists passed as variables and the
 * estimated cost. (The checks that must come before graphql-js's validation run before
 * Apollo is called at all: `precheckRequest`, in the HTTP handler; an error a plugin throws
 * before this hook is answered 500 by Apollo.)
 */
export function limitsPlugin(limits: OperationLimits): ApolloServerPlugin<object> {
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ document, request }) => {
        const err = limits.checkRequest(document, request.operationName, request.variables);
        if (err) throw refusal(err);
      },
    }),
  };
}
