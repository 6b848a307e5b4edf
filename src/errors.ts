import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';

/**
 * The closed set of refusal codes of the public contract. Clients switch on
 * `extensions.code`, never on message text, so these strings never change.
 */
export const ErrorCode = {
  BadUserInput: 'BAD_USER_INPUT',
  NamespaceNotFound: 'NAMESPACE_NOT_FOUND',
  NamespaceConflict: 'NAMESPACE_CONFLICT',
  IdempotencyTokenExpired: 'IDEMPOTENCY_TOKEN_EXPIRED',
  CountOverflow: 'COUNT_OVERFLOW',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  Unavailable: 'UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A refusal the client caused or may retry; carries a stable code. */
export class CounterError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...extra } });
    this.name = 'CounterError';
  }
}

export const namespaceNotFound = (name: string): CounterError =>
  new CounterError(ErrorCode.NamespaceNotFound, `namespace ${JSON.stringify(name)} does not exist`, { namespace: name });

export const badInput = (message: string, extra?: Record<string, unknown>): CounterError =>
  new CounterError(ErrorCode.BadUserInput, message, extra);

/** How much of a client's input an answer may repeat: a prefix, then an ellipsis. */
export const ECHO_LIMIT = 48;

/** The first ECHO_LIMIT characters of something the client sent, marked when cut. */
export function clip(value: string, limit = ECHO_LIMIT): string {
  if (value.length <= limit) return value;
  // Never split a surrogate pair (a lone half would be an invalid character in the answer).
  const code = value.charCodeAt(limit - 1);
  return `${value.slice(0, code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit)}…`;
}

/** A fresh id that ties an answer to the log line holding its details. */
export const newRequestId = (): string => randomUUID();

/**
 * Wraps a backing-store failure so the client sees UNAVAILABLE (and may retry with the same
 * token) instead of INTERNAL_SERVER_ERROR. The driver's message names hosts, ports and
 * client internals: it stays in `cause`, which the error formatter logs under the answer's
 * `requestId` (formatError.ts).
 */
export function unavailable(cause: unknown): CounterError {
  if (cause instanceof CounterError) return cause;
  const err = new CounterError(ErrorCode.Unavailable, 'a backing store cannot be reached', { requestId: newRequestId() });
  (err as { cause?: unknown }).cause = cause;
  return err;
}
