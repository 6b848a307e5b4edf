import { allowed, requireAnyScope, requireScope } from '../../../resolvers/access';
import type { Principal } from '../../../src/auth/principal';
import { CounterError } from '../../../src/errors';

const ctx = (global: Principal['global'], ns: [string, 'read' | 'write' | 'admin'][] = []) => ({
  principal: { subject: undefined, global, namespaces: new Map(ns), expiresAtMs: undefined },
});

const forbiddenOf = (fn: () => void): CounterError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CounterError);
    return err as CounterError;
  }
  throw new Error('allowed');
};

describe('requireScope', () => {
  it('passes when the caller may, throws FORBIDDEN naming the scope needed otherwise', () => {
    expect(() => requireScope(ctx('write'), 'write', 'views')).not.toThrow();
    const e = forbiddenOf(() => requireScope(ctx('read', [['ops', 'admin']]), 'write', 'views'));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.extensions.scope).toBe('counters:write:views');
    expect(e.message).toContain('counters:write:views');
    expect(forbiddenOf(() => requireScope(ctx(undefined, [['ops', 'admin']]), 'admin')).extensions.scope).toBe('counters:admin');
  });
});

describe('requireAnyScope and allowed', () => {
  it('requireAnyScope needs the level on some namespace', () => {
    expect(() => requireAnyScope(ctx(undefined, [['a', 'write']]), 'write')).not.toThrow();
    expect(forbiddenOf(() => requireAnyScope(ctx('read', [['a', 'read']]), 'write')).code).toBe('FORBIDDEN');
  });

  it('allowed answers per namespace', () => {
    const c = ctx(undefined, [['a', 'write']]);
    expect(allowed(c, 'write', 'a')).toBe(true);
    expect(allowed(c, 'read', 'b')).toBe(false);
  });
});
