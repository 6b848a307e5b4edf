import fc from 'fast-check';
import { jsonValuesPast } from '../../../../src/limits/jsonValues';

/** Every value JSON.parse would build: strings (keys too), numbers, literals, objects, arrays. */
function countValues(v: unknown): number {
  if (Array.isArray(v)) return 1 + v.reduce((n: number, x) => n + countValues(x), 0);
  if (v !== null && typeof v === 'object') return 1 + Object.entries(v).reduce((n, [, x]) => n + 1 + countValues(x), 0);
  return 1;
}

describe('jsonValuesPast', () => {
  it('counts exactly what JSON.parse builds, for any JSON text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const n = countValues(value);
        expect(jsonValuesPast(text, n)).toBeUndefined();
        expect(jsonValuesPast(text, n - 1)).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('skips what is inside strings, escapes included', () => {
    expect(jsonValuesPast(JSON.stringify({ query: '{ counters(names: ["a", 1, true, {x: [2]}]) }' }), 3)).toBeUndefined();
    expect(jsonValuesPast(JSON.stringify(['a"b\\', '\\"[1,2]']), 3)).toBeUndefined();
    expect(jsonValuesPast(JSON.stringify(['a"b\\', '\\"[1,2]']), 2)).toBe(3);
  });

  it('stops as soon as it is past the limit', () => {
    const huge = JSON.stringify({ variables: { n: Array.from({ length: 100_000 }, (_, i) => `n${i}`) } });
    expect(jsonValuesPast(huge, 30_000)).toBe(30_001);
  });

  it('counts a malformed text as far as it goes (JSON.parse refuses it afterwards)', () => {
    expect(jsonValuesPast('{"a": [1, 2', 10)).toBeUndefined();
    expect(jsonValuesPast('[1 2 3 4]', 3)).toBe(4);
  });
});
