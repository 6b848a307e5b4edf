import { EventFactory } from '../../../../src/counters/events';
import type { CounterError } from '../../../../src/errors';
import { nsConfig } from '../../fakes';

const NOW = 1_700_000_000_000;
const ns = nsConfig('ev', 'EVENTUAL', { acceptLimitMs: 5000 });
const ADD = { clear: false, delta: 3n };

function refusal(fn: () => unknown): CounterError {
  try {
    fn();
  } catch (err) {
    return err as CounterError;
  }
  throw new Error('expected a refusal');
}

describe('EventFactory with an idempotency token', () => {
  it("keys the event by the client's token and generation time (µs)", () => {
    const f = new EventFactory();
    const e = f.make(ns, { name: 'a', idempotencyToken: { token: 'tok', generationTime: new Date(NOW - 100) } }, ADD, NOW);
    expect(e).toEqual({ namespace: 'ev', name: 'a', timeUs: (NOW - 100) * 1000, eventId: 'tok', clear: false, delta: 3n });
  });

  it('gives a retry the very same key, from any factory', () => {
    const input = { name: 'a', idempotencyToken: { token: 'tok', generationTime: new Date(NOW) } };
    const a = new EventFactory().make(ns, input, ADD, NOW);
    const b = new EventFactory().make(ns, input, ADD, NOW + 10);
    expect([b.timeUs, b.eventId]).toEqual([a.timeUs, a.eventId]);
  });

  it('makes clears with delta 0', () => {
    const e = new EventFactory().make(ns, { name: 'a', idempotencyToken: { token: 't', generationTime: new Date(NOW) } }, { clear: true, delta: 0n }, NOW);
    expect(e).toMatchObject({ clear: true, delta: 0n });
  });

  it('accepts generation times exactly acceptLimitMs away on either side', () => {
    const f = new EventFactory();
    for (const t of [NOW - 5000, NOW + 5000]) {
      expect(() => f.make(ns, { name: 'a', idempotencyToken: { token: 't', generationTime: new Date(t) } }, ADD, NOW)).not.toThrow();
    }
  });

  it('refuses IDEMPOTENCY_TOKEN_EXPIRED one ms outside the accept limit, on either side', () => {
    const f = new EventFactory();
    for (const t of [NOW - 5001, NOW + 5001]) {
      const err = refusal(() => f.make(ns, { name: 'a', idempotencyToken: { token: 't', generationTime: new Date(t) } }, ADD, NOW));
      expect(err.code).toBe('IDEMPOTENCY_TOKEN_EXPIRED');
      expect(err.extensions).toMatchObject({ acceptLimitMs: 5000 });
    }
  });

  it("uses the namespace's own accept limit", () => {
    const strict = nsConfig('strict', 'ACCURATE', { acceptLimitMs: 10 });
    const err = refusal(() => new EventFactory().make(strict, { name: 'a', idempotencyToken: { token: 't', generationTime: new Date(NOW - 11) } }, ADD, NOW));
    expect(err.code).toBe('IDEMPOTENCY_TOKEN_EXPIRED');
  });

  it('refuses BAD_USER_INPUT for an empty or over-long token', () => {
    const f = new EventFactory();
    for (const token of ['', 'x'.repeat(256)]) {
      const err = refusal(() => f.make(ns, { name: 'a', idempotencyToken: { token, generationTime: new Date(NOW) } }, ADD, NOW));
      expect(err.code).toBe('BAD_USER_INPUT');
      expect(err.extensions).toMatchObject({ field: 'idempotencyToken.token' });
    }
    expect(() => f.make(ns, { name: 'a', idempotencyToken: { token: 'x'.repeat(255), generationTime: new Date(NOW) } }, ADD, NOW)).not.toThrow();
  });

  it('checks the name first', () => {
    const err = refusal(() => new EventFactory().make(ns, { name: 'bad name', idempotencyToken: { token: '', generationTime: new Date(0) } }, ADD, NOW));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.extensions).toMatchObject({ field: 'name' });
  });
});

describe('EventFactory without a token', () => {
  it('refuses a bad name with BAD_USER_INPUT', () => {
    for (const name of ['', 'a b', 'x'.repeat(256), 'é']) {
      const err = refusal(() => new EventFactory().make(ns, { name }, ADD, NOW));
      expect(err.code).toBe('BAD_USER_INPUT');
    }
  });

  it('makes ids no retry repeats: unique within a factory and across factories', () => {
    const a = new EventFactory();
    const b = new EventFactory();
    const ids = new Set<string>();
    for (let i = 0; i < 500; i++) {
      ids.add(a.make(ns, { name: 'a' }, ADD).eventId);
      ids.add(b.make(ns, { name: 'a', idempotencyToken: null }, ADD).eventId);
    }
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id.startsWith('~')).toBe(true);
  });

  it('marks only the events it made itself as unique (no retry can repeat them), never a token', () => {
    const f = new EventFactory();
    expect(f.make(ns, { name: 'a' }, ADD).unique).toBe(true);
    // a client's token may look like a server-made id; the mark, not the id, tells them apart
    const token = { token: '~abcdefgh.1', generationTime: new Date(NOW) };
    expect(f.make(ns, { name: 'a', idempotencyToken: token }, ADD, NOW).unique).toBeUndefined();
  });

  it("server-made ids carry the factory's random id and differ by a sequence number", () => {
    const f = new EventFactory();
    const [x, y] = [f.make(ns, { name: 'a' }, ADD).eventId, f.make(ns, { name: 'a' }, ADD).eventId];
    const prefix = (id: string) => id.slice(0, id.lastIndexOf('.'));
    expect(prefix(x)).toBe(prefix(y));
    expect(x).not.toBe(y);
  });

  it('stamps strictly increasing server times, so one process keeps its own order', () => {
    const f = new EventFactory();
    const times = Array.from({ length: 200 }, (_, i) => f.make(ns, { name: 'a' }, i % 2 ? ADD : { clear: true, delta: 0n }).timeUs);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
  });

  it('stamps the current time in µs, ignoring the nowMs given for token checks', () => {
    // Later than any server time stamped so far (the clock's sequence is process-wide).
    const later = Date.now() + 3_600_000;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    try {
      const e = new EventFactory().make(ns, { name: 'a' }, ADD, NOW);
      expect(e.timeUs).toBe(later * 1000);
    } finally {
      jest.restoreAllMocks();
    }
  });
});
