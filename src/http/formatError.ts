import type { GraphQLFormattedError } from 'graphql';
import { CounterError } from '../errors';

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
