import { can, canAny, expired, OPEN, type Level, type Principal } from '../../../../src/auth/principal';

const principal = (global: Level | undefined, namespaces: [string, Level][] = [], expiresAtMs?: number): Principal => ({
  subject: 's',
  global,
  namespaces: new Map(namespaces),
  expiresAtMs,
});

describe('can', () => {
  it.each<[Level | undefined, Level, boolean]>([
    ['read', 'read', true],
    ['read', 'write', false],
    ['read', 'admin', false],
    ['write', 'read', true],
    ['write', 'write', true],
    ['write', 'admin', false],
    ['admin', 'read', true],
    ['admin', 'write', true],
    ['admin', 'admin', true],
    [undefined, 'read', false],
  ])('a global %s grant allows %s: %s (on any namespace and without one)', (granted, needed, ok) => {
    const p = principal(granted);
    expect(can(p, needed, 'views')).toBe(ok);
    expect(can(p, needed, 'other')).toBe(ok);
    expect(can(p, needed)).toBe(ok);
  });

  it('a namespace grant covers that namespace only, at its level and below', () => {
    const p = principal(undefined, [['views', 'write']]);
    expect(can(p, 'read', 'views')).toBe(true);
    expect(can(p, 'write', 'views')).toBe(true);
    expect(can(p, 'admin', 'views')).toBe(false);
    expect(can(p, 'read', 'other')).toBe(false);
    expect(can(p, 'read', 'views2')).toBe(false);
    // Without a namespace only a global grant counts (e.g. /metrics).
    expect(can(p, 'read')).toBe(false);
  });

  it('the higher of a global and a namespace grant wins', () => {
    const p = principal('read', [['views', 'admin']]);
    expect(can(p, 'admin', 'views')).toBe(true);
    expect(can(p, 'write', 'other')).toBe(false);
    expect(can(p, 'read', 'other')).toBe(true);
  });

  it('OPEN (access control off) may do everything', () => {
    for (const level of ['read', 'write', 'admin'] as const) {
      expect(can(OPEN, level)).toBe(true);
      expect(can(OPEN, level, 'anything')).toBe(true);
    }
    expect(expired(OPEN, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('canAny', () => {
  it('is true when some grant, global or narrowed, reaches the level', () => {
    expect(canAny(principal(undefined), 'read')).toBe(false);
    expect(canAny(principal(undefined, [['a', 'read']]), 'read')).toBe(true);
    expect(canAny(principal(undefined, [['a', 'read']]), 'write')).toBe(false);
    expect(canAny(principal(undefined, [['a', 'read'], ['b', 'admin']]), 'write')).toBe(true);
    expect(canAny(principal('write'), 'write')).toBe(true);
    expect(canAny(principal('write'), 'admin')).toBe(false);
  });
});

describe('expired', () => {
  it('is true from expiresAtMs on, never without one', () => {
    const p = principal('read', [], 1000);
    expect(expired(p, 999)).toBe(false);
    expect(expired(p, 1000)).toBe(true);
    expect(expired(principal('read'), 1e15)).toBe(false);
  });
});
