import { GraphQLError } from 'graphql';
import { badInput, clip, CounterError, ErrorCode, namespaceNotFound, unavailable } from '../../../src/errors';

describe('ErrorCode', () => {
  it('is the closed set of the contract, with these exact strings', () => {
    expect(Object.values(ErrorCode).sort()).toEqual(
      [
        'BAD_USER_INPUT',
        'COUNT_OVERFLOW',
        'FORBIDDEN',
        'IDEMPOTENCY_TOKEN_EXPIRED',
        'NAMESPACE_CONFLICT',
        'NAMESPACE_NOT_FOUND',
        'UNAUTHENTICATED',
        'UNAVAILABLE',
      ].sort(),
    );
  });
});

describe('CounterError', () => {
  it('is a GraphQLError carrying its code in extensions, with the extra fields', () => {
    const err = new CounterError(ErrorCode.CountOverflow, 'too big', { limit: 5 });
    expect(err).toBeInstanceOf(GraphQLError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('CounterError');
    expect(err.message).toBe('too big');
    expect(err.code).toBe('COUNT_OVERFLOW');
    expect(err.extensions).toEqual({ code: 'COUNT_OVERFLOW', limit: 5 });
  });

  it('serializes with its code in extensions, and no extras when none were given', () => {
    const err = new CounterError(ErrorCode.BadUserInput, 'm');
    expect(err.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(err.toJSON()).toMatchObject({ message: 'm', extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('error factories', () => {
  it('namespaceNotFound names the namespace, quoted, and carries it', () => {
    const err = namespaceNotFound('vi"ews');
    expect(err.code).toBe('NAMESPACE_NOT_FOUND');
    expect(err.message).toBe('namespace "vi\\"ews" does not exist');
    expect(err.extensions).toEqual({ code: 'NAMESPACE_NOT_FOUND', namespace: 'vi"ews' });
  });

  it('badInput is BAD_USER_INPUT with the given extras', () => {
    const err = badInput('nope', { field: 'name' });
    expect(err).toBeInstanceOf(CounterError);
    expect(err.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(badInput('bare').extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });
});

describe('unavailable', () => {
  it('wraps a driver error as UNAVAILABLE without its message (hosts, ports), keeping the cause and a requestId', () => {
    const cause = new Error('ECONNREFUSED 127.0.0.1:9042');
    const err = unavailable(cause);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toBe('a backing store cannot be reached');
    expect(JSON.stringify(err.toJSON())).not.toContain('9042');
    expect(err.extensions.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(unavailable(cause).extensions.requestId).not.toBe(err.extensions.requestId);
    expect((err as { cause?: unknown }).cause).toBe(cause);
  });

  it('wraps a thrown non-Error the same way', () => {
    expect(unavailable('timeout').message).toBe('a backing store cannot be reached');
    expect(unavailable(undefined).message).toBe('a backing store cannot be reached');
  });

  it('passes a CounterError through unchanged (a refusal is not an outage)', () => {
    const refusal = badInput('bad');
    expect(unavailable(refusal)).toBe(refusal);
  });
});

describe('clip', () => {
  it('keeps a short value and cuts a long one to a prefix with an ellipsis', () => {
    expect(clip('abc')).toBe('abc');
    expect(clip('x'.repeat(48))).toBe('x'.repeat(48));
    expect(clip('x'.repeat(49))).toBe(`${'x'.repeat(48)}…`);
    expect(clip('abcdef', 3)).toBe('abc…');
    expect(clip('ab𝄞cd', 3)).toBe('ab…');
  });
});
