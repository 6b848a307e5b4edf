import { bearerToken, connectionAuthorization, MAX_TOKEN_CHARS } from '../../../../src/auth/credentials';
import { CounterError } from '../../../../src/errors';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';

const refusal = (value: unknown): CounterError => {
  try {
    bearerToken(value);
  } catch (err) {
    expect(err).toBeInstanceOf(CounterError);
    return err as CounterError;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
};

describe('bearerToken', () => {
  it.each([`Bearer ${JWT}`, `bearer ${JWT}`, `BEARER  ${JWT} `])('reads the token of %j', (value) => {
    expect(bearerToken(value)).toBe(JWT);
  });

  it.each([undefined, null, ''])('%j is missing credentials', (value) => {
    const e = refusal(value);
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.message).toContain('missing');
  });

  it.each([
    JWT,
    `Basic ${JWT}`,
    `Bearer`,
    `Bearer ${JWT} extra`,
    `Bearer abc`,
    `Bearer a.b`,
    `Bearer a.b.c.d`,
    `Bearer ${JWT}\n`,
    `Bearer\t${JWT}`,
    `Bearer a+b.c.d`,
    42,
    ['Bearer', JWT],
    { authorization: JWT },
  ])('%j is malformed, and the message does not echo it', (value) => {
    const e = refusal(value);
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.message).toContain('malformed');
    expect(e.message).not.toContain(JWT);
    expect(e.message).not.toContain('abc');
  });
});

it('refuses a token longer than MAX_TOKEN_CHARS unread', () => {
  expect(bearerToken(`Bearer ${'a'.repeat(MAX_TOKEN_CHARS - 4)}.b.c`)).toHaveLength(MAX_TOKEN_CHARS);
  expect(refusal(`Bearer ${'a'.repeat(MAX_TOKEN_CHARS - 3)}.b.c`).message).toContain('malformed');
  expect(refusal(`Bearer ${'a'.repeat(10 * MAX_TOKEN_CHARS)}.b.c`).message).toContain('malformed');
});

describe('connectionAuthorization', () => {
  it('takes the connection_init payload key in any case, the exact one first', () => {
    expect(connectionAuthorization({ authorization: 'a' }, 'h')).toBe('a');
    expect(connectionAuthorization({ Authorization: 'b' }, 'h')).toBe('b');
    expect(connectionAuthorization({ AUTHORIZATION: 'c' }, undefined)).toBe('c');
    expect(connectionAuthorization({ Authorization: 'x', authorization: 'y' }, undefined)).toBe('y');
  });

  it('falls back to the upgrade request header, and is undefined with neither', () => {
    expect(connectionAuthorization({ other: 1 }, 'Bearer h')).toBe('Bearer h');
    expect(connectionAuthorization({}, undefined)).toBeUndefined();
  });

  it('keeps a present but empty or non-string payload value (refused later, not replaced by the header)', () => {
    expect(connectionAuthorization({ authorization: '' }, 'Bearer h')).toBe('');
    expect(connectionAuthorization({ authorization: 5 }, 'Bearer h')).toBe(5);
  });

  it('does not read an inherited property', () => {
    const params = Object.create({ authorization: 'inherited' }) as Record<string, unknown>;
    expect(connectionAuthorization(params, undefined)).toBeUndefined();
  });
});
