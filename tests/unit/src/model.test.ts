import { COUNTER_MODES, counterKey, counterOf, groupBy, inInt64, INT64_MAX, INT64_MIN, type NamespaceConfig } from '../../../src/model';

const ns: NamespaceConfig = { name: 'views', mode: 'ACCURATE', ttlSeconds: null, retentionSeconds: 604800, acceptLimitMs: 5000 };

describe('counterKey', () => {
  it('is the same for equal refs and differs across namespaces and names', () => {
    expect(counterKey({ namespace: 'a', name: 'b' })).toBe(counterKey({ namespace: 'a', name: 'b' }));
    expect(counterKey({ namespace: 'a', name: 'b' })).not.toBe(counterKey({ namespace: 'b', name: 'a' }));
    expect(counterKey({ namespace: 'a', name: 'b' })).not.toBe(counterKey({ namespace: 'a', name: 'c' }));
  });

  it('cannot collide when a separator character moves between namespace and name', () => {
    const keys = [
      { namespace: 'a:b', name: 'c' },
      { namespace: 'a', name: 'b:c' },
      { namespace: 'a/b', name: 'c' },
      { namespace: 'a', name: 'b/c' },
      { namespace: 'ab', name: 'c' },
      { namespace: 'a', name: 'bc' },
    ].map(counterKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('ignores any other property of the ref', () => {
    const withMode = { namespace: 'a', name: 'b', mode: 'EVENTUAL', count: 3n };
    expect(counterKey(withMode)).toBe(counterKey({ namespace: 'a', name: 'b' }));
  });
});

describe('counterOf', () => {
  it('without a count leaves the count to the loader (no count property at all)', () => {
    const c = counterOf(ns, 'title:1');
    expect(c).toEqual({ namespace: 'views', name: 'title:1', mode: 'ACCURATE' });
    expect('count' in c).toBe(false);
  });

  it('with a count keeps it, zero included', () => {
    expect(counterOf(ns, 'x', 0n)).toEqual({ namespace: 'views', name: 'x', mode: 'ACCURATE', count: 0n });
    expect(counterOf(ns, 'x', -5n).count).toBe(-5n);
  });

  it("takes the mode of the namespace", () => {
    expect(counterOf({ ...ns, mode: 'BEST_EFFORT' }, 'x').mode).toBe('BEST_EFFORT');
  });
});

describe('groupBy', () => {
  it('keeps groups in first-seen order and items in input order', () => {
    const g = groupBy(['b1', 'a1', 'b2', 'c1', 'a2', 'b3'], (s) => s[0]!);
    expect([...g.keys()]).toEqual(['b', 'a', 'c']);
    expect(g.get('b')).toEqual(['b1', 'b2', 'b3']);
    expect(g.get('a')).toEqual(['a1', 'a2']);
    expect(g.get('c')).toEqual(['c1']);
  });

  it('of nothing is an empty map', () => {
    expect(groupBy([], () => 'k').size).toBe(0);
  });

  it('keeps duplicates and the item objects themselves', () => {
    const x = { k: 'a' };
    const g = groupBy([x, x], (i) => i.k);
    expect(g.get('a')).toEqual([x, x]);
    expect(g.get('a')![0]).toBe(x);
  });

  it('calls the key function once per item', () => {
    const key = jest.fn((n: number) => String(n % 2));
    groupBy([1, 2, 3, 4, 5], key);
    expect(key).toHaveBeenCalledTimes(5);
  });
});

describe('64-bit range', () => {
  it('has the signed 64-bit bounds', () => {
    expect(INT64_MAX).toBe(9223372036854775807n);
    expect(INT64_MIN).toBe(-9223372036854775808n);
  });

  it.each([
    [0n, true],
    [INT64_MAX, true],
    [INT64_MIN, true],
    [INT64_MAX + 1n, false],
    [INT64_MIN - 1n, false],
    [1n << 100n, false],
  ])('inInt64(%s) is %s', (v, expected) => {
    expect(inInt64(v)).toBe(expected);
  });
});

describe('COUNTER_MODES', () => {
  it('lists the three modes of the contract', () => {
    expect([...COUNTER_MODES]).toEqual(['BEST_EFFORT', 'EVENTUAL', 'ACCURATE']);
  });
});
