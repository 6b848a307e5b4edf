import { msToUs, nowUs } from '../../../src/clock';

describe('nowUs', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is the wall clock in microseconds when the clock moves on', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(2_000_000_000_000);
    expect(nowUs()).toBe(2_000_000_000_000_000);
    now.mockReturnValue(2_000_000_000_005);
    expect(nowUs()).toBe(2_000_000_000_005_000);
  });

  it('is strictly increasing within one millisecond', () => {
    jest.spyOn(Date, 'now').mockReturnValue(2_100_000_000_000);
    const times = Array.from({ length: 1000 }, () => nowUs());
    expect(times[0]).toBe(2_100_000_000_000_000);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBe(times[i - 1]! + 1);
  });

  it('never goes backwards when the wall clock does', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(2_200_000_000_000);
    const before = nowUs();
    now.mockReturnValue(2_199_999_999_000);
    const after = nowUs();
    expect(after).toBe(before + 1);
    now.mockReturnValue(2_200_000_000_001);
    expect(nowUs()).toBe(2_200_000_000_001_000);
  });

  it('starts from the real clock and stays an exact integer', () => {
    jest.isolateModules(() => {
      // A fresh module: the other tests pushed this one's last time into the future.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('../../../src/clock') as typeof import('../../../src/clock');
      const t = fresh.nowUs();
      expect(Number.isSafeInteger(t)).toBe(true);
      expect(Math.abs(t / 1000 - Date.now())).toBeLessThan(1000);
    });
  });
});

describe('msToUs', () => {
  it.each([
    [0, 0],
    [1, 1000],
    [1728139680000, 1728139680000000],
    [-5, -5000],
  ])('%i ms is %i µs', (ms, us) => {
    expect(msToUs(ms)).toBe(us);
  });
});
