import { ExpiringMap } from '../../../../../src/cache/memory/expiringMap';

describe('ExpiringMap', () => {
  it('answers a live entry and its expiry', () => {
    const m = new ExpiringMap<number>();
    m.set('a', 1, 1000);
    expect(m.get('a', 999)).toBe(1);
    expect(m.expiresAt('a', 999)).toBe(1000);
  });

  it('an unknown key has no value and no expiry', () => {
    const m = new ExpiringMap<number>();
    expect(m.get('x', 0)).toBeUndefined();
    expect(m.expiresAt('x', 0)).toBeUndefined();
  });

  it('an entry is expired at its expiry time exactly, not a millisecond later', () => {
    const m = new ExpiringMap<string>();
    m.set('a', 'v', 1000);
    expect(m.get('a', 1000)).toBeUndefined();
    expect(m.expiresAt('a', 1000)).toBeUndefined();
  });

  it('drops an expired entry when read: it stays gone even if asked about an earlier time', () => {
    const m = new ExpiringMap<string>();
    m.set('a', 'v', 1000);
    expect(m.get('a', 2000)).toBeUndefined();
    expect(m.get('a', 0)).toBeUndefined();
  });

  it('expiresAt drops an expired entry too', () => {
    const m = new ExpiringMap<string>();
    m.set('a', 'v', 1000);
    expect(m.expiresAt('a', 1500)).toBeUndefined();
    expect(m.get('a', 0)).toBeUndefined();
  });

  it('an entry with an Infinity expiry never expires', () => {
    const m = new ExpiringMap<string>();
    m.set('a', 'v', Infinity);
    expect(m.get('a', Number.MAX_SAFE_INTEGER)).toBe('v');
    m.sweep(Number.MAX_VALUE);
    expect(m.get('a', Number.MAX_VALUE)).toBe('v');
  });

  it('set replaces the value and the expiry, a shorter one included', () => {
    const m = new ExpiringMap<number>();
    m.set('a', 1, 1000);
    m.set('a', 2, 5000);
    expect(m.get('a', 2000)).toBe(2);
    expect(m.expiresAt('a', 2000)).toBe(5000);
    m.set('a', 3, 100);
    expect(m.get('a', 2000)).toBeUndefined();
  });

  it('delete removes an entry; deleting an unknown key is harmless', () => {
    const m = new ExpiringMap<number>();
    m.set('a', 1, Infinity);
    m.delete('a');
    m.delete('never');
    expect(m.get('a', 0)).toBeUndefined();
  });

  it('sweep removes exactly the entries expired at that time', () => {
    const m = new ExpiringMap<number>();
    m.set('early', 1, 100);
    m.set('edge', 2, 200);
    m.set('late', 3, 300);
    m.sweep(200);
    // Read at time 0: only what sweep kept is still there.
    expect(m.get('early', 0)).toBeUndefined();
    expect(m.get('edge', 0)).toBeUndefined();
    expect(m.get('late', 0)).toBe(3);
  });

  it('keeps falsy values', () => {
    const m = new ExpiringMap<number | string>();
    m.set('zero', 0, 10);
    m.set('empty', '', 10);
    expect(m.get('zero', 5)).toBe(0);
    expect(m.get('empty', 5)).toBe('');
    expect(m.expiresAt('zero', 5)).toBe(10);
  });
});
