import { settleUs } from '../../../rollup/settle';
import { nsConfig } from '../fakes';

describe('settleUs', () => {
  const ns = nsConfig('ev', 'EVENTUAL', { acceptLimitMs: 5000 });

  it('is now minus the accept limit minus the skew margin, in microseconds', () => {
    expect(settleUs(ns, 1000, 1_700_000_000_000)).toBe((1_700_000_000_000 - 6000) * 1000);
    expect(settleUs(nsConfig('x', 'ACCURATE', { acceptLimitMs: 1 }), 0, 10_000)).toBe(9_999_000);
  });

  it('defaults to the current time', () => {
    jest.spyOn(Date, 'now').mockReturnValue(2_000_000);
    try {
      expect(settleUs(ns, 500)).toBe((2_000_000 - 5500) * 1000);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('moves back with a longer accept limit or skew margin, and forward with the clock', () => {
    const base = settleUs(ns, 1000, 1_000_000);
    expect(settleUs(nsConfig('y', 'EVENTUAL', { acceptLimitMs: 6000 }), 1000, 1_000_000)).toBe(base - 1_000_000);
    expect(settleUs(ns, 2000, 1_000_000)).toBe(base - 1_000_000);
    expect(settleUs(ns, 1000, 1_000_001)).toBe(base + 1000);
  });
});
