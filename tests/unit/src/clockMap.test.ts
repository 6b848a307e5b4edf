import { ClockMap } from '../../../src/clockMap';

type Box = { v: number; used: boolean };
const box = (v: number): Box => ({ v, used: false });

describe('ClockMap', () => {
  it('holds at most max entries, dropping the oldest unused one first', () => {
    const m = new ClockMap<Box>(3);
    m.set('a', box(1));
    m.set('b', box(2));
    m.set('c', box(3));
    m.set('d', box(4));
    expect(m.size).toBe(3);
    expect([...m.keys()]).toEqual(['b', 'c', 'd']);
  });

  it('keeps an entry read with get since it was passed over (second chance)', () => {
    const m = new ClockMap<Box>(3);
    m.set('a', box(1));
    m.set('b', box(2));
    m.set('c', box(3));
    expect(m.get('a')?.v).toBe(1);
    m.set('d', box(4));
    expect(m.has('a')).toBe(true);
    expect(m.has('b')).toBe(false);
    // a moved behind c with its mark spent: c goes first, then a.
    m.set('e', box(5));
    expect([...m.keys()]).toEqual(['a', 'd', 'e']);
    m.set('f', box(6));
    expect([...m.keys()]).toEqual(['d', 'e', 'f']);
  });

  it('does not count a peek as a use', () => {
    const m = new ClockMap<Box>(2);
    m.set('a', box(1));
    m.set('b', box(2));
    expect(m.peek('a')?.v).toBe(1);
    m.set('c', box(3));
    expect(m.has('a')).toBe(false);
    expect(m.peek('b')?.v).toBe(2);
  });

  it('evicts even when every entry was used (each pass clears marks), never the entry just set', () => {
    const m = new ClockMap<Box>(2);
    m.set('a', box(1));
    m.set('b', box(2));
    m.get('a');
    m.get('b');
    m.set('c', box(3));
    expect(m.size).toBe(2);
    expect(m.has('c')).toBe(true);
  });

  it('replaces a value in place and deletes', () => {
    const m = new ClockMap<Box>(2);
    m.set('a', box(1));
    m.set('a', box(2));
    expect(m.size).toBe(1);
    expect(m.get('a')?.v).toBe(2);
    expect(m.delete('a')).toBe(true);
    expect(m.peek('a')).toBeUndefined();
  });

  it('refuses a bound below 1', () => {
    expect(() => new ClockMap<Box>(0)).toThrow(RangeError);
  });
});
