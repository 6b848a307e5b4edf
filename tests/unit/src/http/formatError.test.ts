import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { badInput, CounterError, ErrorCode, unavailable } from '../../../../src/errors';
import { boundError, createFormatError, errorCodeLabel, keepCounterErrorCode, withRequestErrorCode } from '../../../../src/http/formatError';

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

describe('boundError', () => {
  it('clips every long quoted value and bounds the message', () => {
    const big = 'x'.repeat(4_000_000);
    const out = boundError({ message: `Variable "$d" got invalid value ${JSON.stringify(big)}; Long must be ... (got ${big})`, extensions: { code: 'BAD_USER_INPUT' } });
    expect(out.message.length).toBeLessThanOrEqual(201);
    expect(out.message).not.toContain('x'.repeat(49));
    expect(out.message).toContain(`"${'x'.repeat(48)}…"`);
    expect(out.message.endsWith('…')).toBe(true);
  });

  it('clips long string extensions, keeps short answers as they are', () => {
    const short = { message: 'namespace "a" does not exist', extensions: { code: 'NAMESPACE_NOT_FOUND', namespace: 'a' } };
    expect(boundError(short)).toBe(short);
    const out = boundError({ message: 'm', extensions: { code: 'NAMESPACE_NOT_FOUND', namespace: 'n'.repeat(300), limit: 5 } });
    expect(out.extensions).toEqual({ code: 'NAMESPACE_NOT_FOUND', namespace: `${'n'.repeat(48)}…`, limit: 5 });
  });

  it('clips a long unquoted run (a number repeated as written)', () => {
    const out = boundError({ message: `String cannot represent a non string value: ${'9'.repeat(1000)}` });
    expect(out.message).toBe(`String cannot represent a non string value: ${'9'.repeat(48)}…`);
  });

  it('handles escaped quotes inside a quoted value', () => {
    const out = boundError({ message: `got ${JSON.stringify(`a"b\\c${'y'.repeat(100)}`)} here` });
    expect(out.message).toMatch(/^got "a\\"b\\\\cy+…" here$/);
  });
});

describe('createFormatError', () => {
  const logger = () => ({ error: jest.fn(), warn: jest.fn() });
  const internal = (): GraphQLError => new GraphQLError('Cannot read properties of undefined (reading "x") at /srv/app.js', { originalError: new TypeError('boom /srv/app.js') });

  it('in production: a fixed message and a requestId, the details logged under the same id', () => {
    const log = logger();
    const f = createFormatError({ production: true, log });
    const out = f({ message: internal().message, path: ['counter'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }, internal());
    expect(out.message).toBe('Internal server error');
    expect(out.path).toEqual(['counter']);
    expect(Object.keys(out.extensions ?? {}).sort()).toEqual(['code', 'requestId']);
    expect(log.error).toHaveBeenCalledTimes(1);
    const [fields] = log.error.mock.calls[0] as [{ requestId: string; err: Error }];
    expect(fields.requestId).toBe(out.extensions?.requestId);
    expect(fields.err.message).toBe('boom /srv/app.js');
  });

  it('outside production: the message stays, with the code and a requestId (the websocket path has no code yet)', () => {
    const f = createFormatError({ production: false, log: logger() });
    const e = internal();
    const out = f(e.toJSON(), e);
    expect(out.message).toBe(e.message);
    expect(out.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(out.extensions?.requestId).toEqual(expect.any(String));
  });

  it('leaves refusals alone, and logs an UNAVAILABLE cause once under its requestId', () => {
    const log = logger();
    const f = createFormatError({ production: true, log });
    const refusal = badInput('bad');
    expect(f(refusal.toJSON(), refusal)).toEqual(refusal.toJSON());
    const down = unavailable(new Error('connect ECONNREFUSED 10.0.0.7:6379'));
    const wrapped = new GraphQLError(down.message, { originalError: down, extensions: down.extensions });
    const out = f(wrapped.toJSON(), wrapped);
    f(wrapped.toJSON(), wrapped);
    expect(out.message).toBe('a backing store cannot be reached');
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]![0]).toMatchObject({ requestId: down.extensions.requestId });
    expect(log.error).not.toHaveBeenCalled();
  });

  it('labels a request Apollo refused with a 4xx but no code BAD_REQUEST, not INTERNAL_SERVER_ERROR', () => {
    const f = createFormatError({ production: true, log: logger() });
    const e = new GraphQLError('provided sha does not match query', { extensions: { http: { status: 400 } } });
    expect(f({ message: e.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, e)).toEqual({ message: e.message, extensions: { code: 'BAD_REQUEST' } });
  });
});

describe('withRequestErrorCode', () => {
  it.each([
    ['Syntax Error: Expected Name, found "{".', 'GRAPHQL_PARSE_FAILED'],
    ['Cannot query field "x" on type "Query".', 'GRAPHQL_VALIDATION_FAILED'],
    ['Variable "$n" of required type "String!" was not provided.', 'BAD_USER_INPUT'],
    ['Unable to identify operation', 'OPERATION_RESOLUTION_FAILURE'],
  ])('labels %s as %s', (message, code) => {
    expect(withRequestErrorCode({ message }).extensions?.code).toBe(code);
  });

  it('leaves coded errors and field errors alone', () => {
    const coded = { message: 'm', extensions: { code: 'BAD_USER_INPUT' } };
    const field = { message: 'm', path: ['counter'] };
    expect(withRequestErrorCode(coded)).toBe(coded);
    expect(withRequestErrorCode(field)).toBe(field);
  });
});

describe('errorCodeLabel', () => {
  it('is the code, the one a request error would get, or OTHER for anything not shaped like a code', () => {
    expect(errorCodeLabel({ message: 'x', extensions: { code: 'FORBIDDEN' } })).toBe('FORBIDDEN');
    expect(errorCodeLabel({ message: 'Syntax Error: Unexpected Name "x".' })).toBe('GRAPHQL_PARSE_FAILED');
    expect(errorCodeLabel({ message: 'x', extensions: { code: 'caller chosen text' } })).toBe('OTHER');
    expect(errorCodeLabel({ message: 'x', extensions: { code: 42 } })).toBe('OTHER');
    expect(errorCodeLabel({ message: 'x', extensions: { code: 'A'.repeat(49) } })).toBe('OTHER');
  });
});
