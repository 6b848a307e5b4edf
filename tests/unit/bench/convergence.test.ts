import { quantile } from '../../../bench/scenarios/convergence';

describe('convergence scenario: quantile of a cumulative histogram', () => {
  const buckets = [
    { le: 0.1, n: 50 },
    { le: 1, n: 90 },
    { le: 10, n: 100 },
    { le: Infinity, n: 100 },
  ];

  it('interpolates linearly inside the bucket that holds the rank', () => {
    expect(quantile(buckets, 100, 0.25)).toBeCloseTo(0.05);
    expect(quantile(buckets, 100, 0.7)).toBeCloseTo(0.55);
    expect(quantile(buckets, 100, 0.99)).toBeCloseTo(9.1);
  });

  it('is Infinity when the rank lies past the last finite bucket (misses counted in the total)', () => {
    expect(quantile(buckets, 120, 0.99)).toBe(Infinity);
    expect(quantile([{ le: 1, n: 5 }, { le: Infinity, n: 10 }], 10, 0.99)).toBe(Infinity);
  });
});
