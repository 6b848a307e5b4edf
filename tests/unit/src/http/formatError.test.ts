import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { badInput, CounterError, ErrorCode } from '../../../../src/errors';
import { keepCounterErrorCode } from '../../../../src/http/formatError';

const validationFailed = (message = 'm'): GraphQLFormattedError => ({
  message,
  extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace: ['at x'] },
});

/** Wraps an error in `depth` GraphQLErrors, each holding the previous one as originalError. */
const wrap = (err: Error, depth: number): Error => {
  let e = err;
  for (let i = 0; i < depth; i++) e = new GraphQLError(`wrapped ${i}`, { originalError: e });
  return e;
};

describe('keepCounterErrorCode', () => {
  it('restores the code and extensions of our own error under a validation failure', () => {
    const out = keepCounterErrorCode(validationFailed(), badInput('Long must be...', { field: 'delta' }));
    expect(out).toEqual({ message: 'm', extensions: { code: 'BAD_USER_INPUT', field: 'delta', stacktrace: ['at x'] } });
  });

  it.each([1, 2, 3, 4])('finds our error %i originalError level(s) down', (depth) => {
    const out = keepCounterErrorCode(validationFailed(), wrap(new CounterError(ErrorCode.CountOverflow, 'o'), depth));
    expect(out.extensions?.code).toBe('COUNT_OVERFLOW');
  });

  it('looks no deeper than four levels', () => {
    const formatted = validationFailed();
    expect(keepCounterErrorCode(formatted, wrap(badInput('deep'), 5))).toBe(formatted);
  });

  it("leaves Apollo's own errors as they are", () => {
    const formatted = validationFailed('Cannot query field "x"');
    expect(keepCounterErrorCode(formatted, new GraphQLError('Cannot query field "x"'))).toBe(formatted);
    expect(keepCounterErrorCode(formatted, new Error('plain'))).toBe(formatted);
  });

  it('returns the same object when the code is already ours', () => {
    const formatted: GraphQLFormattedError = { message: 'm', extensions: { code: 'NAMESPACE_NOT_FOUND' } };
    expect(keepCounterErrorCode(formatted, new CounterError(ErrorCode.NamespaceNotFound, 'm'))).toBe(formatted);
  });

  it('adds extensions to a formatted error that had none, without mutating the input', () => {
    const formatted: GraphQLFormattedError = { message: 'm' };
    const out = keepCounterErrorCode(formatted, badInput('b'));
    expect(out).toEqual({ message: 'm', extensions: { code: 'BAD_USER_INPUT' } });
    expect(formatted).toEqual({ message: 'm' });
  });

  it.each([null, undefined, 'a string', 42])('passes through when the error is %p', (error) => {
    const formatted = validationFailed();
    expect(keepCounterErrorCode(formatted, error)).toBe(formatted);
  });

  it('keeps the message and locations Apollo formatted', () => {
    const formatted: GraphQLFormattedError = {
      message: 'Expected value of type "Long!", found "x"',
      locations: [{ line: 1, column: 20 }],
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    };
    const out = keepCounterErrorCode(formatted, wrap(badInput('Long must be a base-10 integer string'), 1));
    expect(out.message).toBe(formatted.message);
    expect(out.locations).toEqual([{ line: 1, column: 20 }]);
  });
});
