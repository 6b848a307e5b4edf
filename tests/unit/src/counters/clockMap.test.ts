import { ClockMap } from '../../../../src/counters/clockMap';

describe('ClockMap', () => {
  it('holds at most max entries, dropping the oldest unused one first', () => {
    const m = new ClockMap<number>(3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    m.set('d', 4);
    expect(m.size).toBe(3);
    expect([...m.keys()]).toEqual(['b', 'c', 'd']);
  });

  it('keeps an entry read with get since it was passed over (second chance)', () => {
    const m = new ClockMap<number>(3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    expect(m.get('a')).toBe(1);
    m.set('d', 4);
    expect(m.has('a')).toBe(true);
    expect(m.has('b')).toBe(false);
    // a moved behind c with its mark spent: c goes first, then a.
    m.set('e', 5);
    expect([...m.keys()]).toEqual(['a', 'd', 'e']);
    m.set('f', 6);
    expect([...m.keys()]).toEqual(['d', 'e', 'f']);
  });

  it('does not count a peek as a use', () => {
    const m = new ClockMap<number>(2);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.peek('a')).toBe(1);
    m.set('c', 3);
    expect(m.has('a')).toBe(false);
    expect(m.peek('b')).toBe(2);
  });

  it('evicts even when every entry was used (each pass clears marks), never the entry just set', () => {
    const m = new ClockMap<number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.get('a');
    m.get('b');
    m.set('c', 3);
    expect(m.size).toBe(2);
    expect(m.has('c')).toBe(true);
  });

  it('replaces a value in place and deletes', () => {
    const m = new ClockMap<number>(2);
    m.set('a', 1);
    m.set('a', 2);
    expect(m.size).toBe(1);
    expect(m.get('a')).toBe(2);
    expect(m.delete('a')).toBe(true);
    expect(m.peek('a')).toBeUndefined();
  });

  it('refuses a bound below 1', () => {
    expect(() => new ClockMap<number>(0)).toThrow(RangeError);
  });
});
