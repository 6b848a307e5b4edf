import { CounterError } from '../../../src/errors';
import type { NamespaceConfig } from '../../../src/model';
import {
  checkGenerationTime,
  checkName,
  checkToken,
  DEFAULT_ACCEPT_LIMIT_MS,
  DEFAULT_RETENTION_SECONDS,
  MAX_ACCEPT_LIMIT_MS,
  normalizeNamespace,
  sameNamespaceSettings,
} from '../../../src/validate';

const MAX_INT32 = 2_147_483_647;

const refusal = (fn: () => unknown): CounterError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CounterError);
    return err as CounterError;
  }
  throw new Error('expected a refusal');
};

const ns = (over: Partial<NamespaceConfig> = {}): NamespaceConfig => ({
  name: 'views',
  mode: 'EVENTUAL',
  ttlSeconds: null,
  retentionSeconds: DEFAULT_RETENTION_SECONDS,
  acceptLimitMs: DEFAULT_ACCEPT_LIMIT_MS,
  ...over,
});

describe('checkName', () => {
  it.each(['a', 'title:42', 'A-Z_a.z/0-9:x', 'x'.repeat(255), '...', '/', '-'])('accepts %j and returns it', (name) => {
    expect(checkName('name', name)).toBe(name);
  });

  it.each(['', 'x'.repeat(256), 'a b', 'a{b}', 'é', 'a\u0000b', 'a*', 'tab\t', 'new\nline', 'a,b', 'emoji🙂'])(
    'refuses %j with BAD_USER_INPUT naming the field',
    (name) => {
      const err = refusal(() => checkName('counter.name', name));
      expect(err.code).toBe('BAD_USER_INPUT');
      expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'counter.name' });
      expect(err.message).toContain('counter.name');
    },
  );

  it('quotes the bad value in the message', () => {
    expect(refusal(() => checkName('namespace', 'a b')).message).toContain('"a b"');
  });

  it('cuts a huge bad value to a short prefix in the message (also in addCounts item errors, which are data)', () => {
    const err = refusal(() => checkName('name', 'y'.repeat(10_000)));
    expect(err.message).toContain('"' + 'y'.repeat(48) + '…"');
    expect(err.message).not.toContain('y'.repeat(49));
  });
});

describe('checkToken', () => {
  it.each(['t', 'x'.repeat(255), 'any chars: {}, spaces, é 🙂'])('accepts %j and returns it', (token) => {
    expect(checkToken(token)).toBe(token);
  });

  it.each([
    ['', 0],
    ['x'.repeat(256), 256],
  ])('refuses a token of length %#, naming the field and the length', (token, length) => {
    const err = refusal(() => checkToken(token));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.field).toBe('idempotencyToken.token');
    expect(err.message).toContain(`got ${length}`);
  });
});

describe('checkGenerationTime', () => {
  const now = Date.UTC(2024, 9, 5, 14, 48);
  const space = ns({ acceptLimitMs: 5000 });

  it.each([0, 5000, -5000, 4999, -1])('accepts a generation time %i ms from now (bounds inclusive)', (offset) => {
    expect(() => checkGenerationTime(new Date(now + offset), space, now)).not.toThrow();
  });

  it.each([5001, -5001, 3_600_000, -now])('refuses one %i ms from now with IDEMPOTENCY_TOKEN_EXPIRED', (offset) => {
    const err = refusal(() => checkGenerationTime(new Date(now + offset), space, now));
    expect(err.code).toBe('IDEMPOTENCY_TOKEN_EXPIRED');
    expect(err.extensions).toMatchObject({ code: 'IDEMPOTENCY_TOKEN_EXPIRED', acceptLimitMs: 5000 });
  });

  it('names the times, the limit and the namespace in the message', () => {
    const err = refusal(() => checkGenerationTime(new Date(now - 6000), space, now));
    expect(err.message).toContain(new Date(now - 6000).toISOString());
    expect(err.message).toContain(new Date(now).toISOString());
    expect(err.message).toContain('5000 ms');
    expect(err.message).toContain('namespace views');
  });

  it("uses the namespace's own limit", () => {
    expect(() => checkGenerationTime(new Date(now - 60_000), ns({ acceptLimitMs: 60_000 }), now)).not.toThrow();
    expect(refusal(() => checkGenerationTime(new Date(now - 2), ns({ acceptLimitMs: 1 }), now)).code).toBe(
      'IDEMPOTENCY_TOKEN_EXPIRED',
    );
  });
});

describe('normalizeNamespace', () => {
  it('fills in the contract defaults', () => {
    expect(normalizeNamespace({ name: 'views', mode: 'ACCURATE' })).toEqual({
      name: 'views',
      mode: 'ACCURATE',
      ttlSeconds: null,
      retentionSeconds: 7 * 24 * 3600,
      acceptLimitMs: 5000,
    });
  });

  it('treats explicit nulls as "use the default"', () => {
    expect(normalizeNamespace({ name: 'v', mode: 'BEST_EFFORT', ttlSeconds: null, retentionSeconds: null, acceptLimitMs: null })).toEqual(
      ns({ name: 'v', mode: 'BEST_EFFORT' }),
    );
  });

  it('keeps given values at their bounds', () => {
    expect(normalizeNamespace({ name: 'v', mode: 'BEST_EFFORT', ttlSeconds: 1, acceptLimitMs: 1 })).toEqual(
      ns({ name: 'v', mode: 'BEST_EFFORT', ttlSeconds: 1, acceptLimitMs: 1 }),
    );
    expect(normalizeNamespace({ name: 'v', mode: 'BEST_EFFORT', ttlSeconds: MAX_INT32, acceptLimitMs: MAX_ACCEPT_LIMIT_MS })).toEqual(
      ns({ name: 'v', mode: 'BEST_EFFORT', ttlSeconds: MAX_INT32, acceptLimitMs: 3_600_000 }),
    );
    expect(normalizeNamespace({ name: 'v', mode: 'EVENTUAL', retentionSeconds: 60 })).toEqual(ns({ name: 'v', mode: 'EVENTUAL', retentionSeconds: 60 }));
    expect(normalizeNamespace({ name: 'v', mode: 'ACCURATE', retentionSeconds: MAX_INT32 })).toEqual(
      ns({ name: 'v', mode: 'ACCURATE', retentionSeconds: MAX_INT32 }),
    );
  });

  it.each([60, 604800, 0])('refuses retentionSeconds (%s) on a BEST_EFFORT namespace: it keeps no events', (retentionSeconds) => {
    const err = refusal(() => normalizeNamespace({ name: 'v', mode: 'BEST_EFFORT', retentionSeconds }));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.field).toBe('retentionSeconds');
    expect(err.message).toContain('BEST_EFFORT');
  });

  it.each(['EVENTUAL', 'ACCURATE'] as const)('refuses a TTL on a %s namespace', (mode) => {
    const err = refusal(() => normalizeNamespace({ name: 'v', mode, ttlSeconds: 60 }));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.field).toBe('ttlSeconds');
    expect(err.message).toContain(mode);
  });

  it.each([
    ['ttlSeconds', { ttlSeconds: 0 }],
    ['ttlSeconds', { ttlSeconds: -1 }],
    ['ttlSeconds', { ttlSeconds: 1.5 }],
    ['ttlSeconds', { ttlSeconds: MAX_INT32 + 1 }],
    ['retentionSeconds', { retentionSeconds: 59 }],
    ['retentionSeconds', { retentionSeconds: 60.5 }],
    ['retentionSeconds', { retentionSeconds: MAX_INT32 + 1 }],
    ['acceptLimitMs', { acceptLimitMs: 0 }],
    ['acceptLimitMs', { acceptLimitMs: MAX_ACCEPT_LIMIT_MS + 1 }],
    ['acceptLimitMs', { acceptLimitMs: 2.5 }],
    ['acceptLimitMs', { acceptLimitMs: NaN }],
  ])('refuses a bad %s (%j), naming the field and the value', (field, over) => {
    const mode = field === 'ttlSeconds' ? 'BEST_EFFORT' : 'EVENTUAL';
    const err = refusal(() => normalizeNamespace({ name: 'v', mode, ...over }));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.field).toBe(field);
    expect(err.message).toContain(`got ${Object.values(over)[0]}`);
  });

  it('refuses a bad name before anything else', () => {
    const err = refusal(() => normalizeNamespace({ name: 'bad name', mode: 'EVENTUAL', ttlSeconds: 5 }));
    expect(err.extensions.field).toBe('name');
  });
});

describe('sameNamespaceSettings', () => {
  it('is true for equal settings, whatever the name', () => {
    expect(sameNamespaceSettings(ns(), ns())).toBe(true);
    expect(sameNamespaceSettings(ns({ name: 'a' }), ns({ name: 'b' }))).toBe(true);
  });

  it.each([
    { mode: 'ACCURATE' as const },
    { ttlSeconds: 60 },
    { retentionSeconds: 61 },
    { acceptLimitMs: 4999 },
  ])('is false when one setting differs: %j', (over) => {
    expect(sameNamespaceSettings(ns(), ns(over))).toBe(false);
    expect(sameNamespaceSettings(ns(over), ns())).toBe(false);
  });

  it('ignores retentionSeconds of BEST_EFFORT namespaces (it means nothing there)', () => {
    const be = ns({ mode: 'BEST_EFFORT', ttlSeconds: 60 });
    expect(sameNamespaceSettings({ ...be, retentionSeconds: 86_400 }, be)).toBe(true);
    expect(sameNamespaceSettings(be, { ...be, retentionSeconds: 86_400 })).toBe(true);
  });
});
