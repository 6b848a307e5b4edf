jest.mock('node:timers/promises', () => jest.requireActual('../fakes').fakeTimersPromises);

/** The sidecar's watched lane, and writes that offer only followed counters (RollupDeps.rollUnread). */
import { WATCHED_MAX } from '../../../rollup/sidecar';
import { counterKey } from '../../../src/model';
import { names, offers, ref, setup, setupFollowed, useSidecarHooks } from './sidecarSetup';

useSidecarHooks();

describe('RollupSidecar watched lane', () => {
  it("rolls a watched counter up within coalesceMs, as urgent work, while the hashed queue's batch runs", async () => {
    const { s, work, batches, duration } = setup({ batchMin: 8, batchMax: 8 });
    duration.ms = (i) => (i === 0 ? 1000 : 0);
    s.start();
    for (const n of names(8)) s.notify(ref(n));
    s.watch(ref('w'));
    await jest.advanceTimersByTimeAsync(100); // the hashed queue's batch runs from t=25 to 1025
    s.notify(ref('w'));
    s.notify(ref('c9')); // waits behind the running batch
    await jest.advanceTimersByTimeAsync(25);
    expect(batches).toEqual([names(8), ['w']]);
    expect(work.mock.calls.map((c) => c[3])).toEqual([false, true]);
  });

  it('starts its batches at least coalesceMs apart, even when a batch took every counter watched', async () => {
    const { s, batches } = setup({ coalesceMs: 25 });
    const watched = names(WATCHED_MAX, 'w');
    for (const n of watched) s.watch(ref(n));
    s.start();
    for (const n of watched) s.notify(ref(n));
    await jest.advanceTimersByTimeAsync(25);
    expect(batches).toEqual([watched]);
    for (const n of watched) s.notify(ref(n));
    await jest.advanceTimersByTimeAsync(24);
    expect(batches.length).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([watched, watched]);
  });

  it('counts watch calls per counter; the last one ended sends the counter back to the hashed queues', () => {
    const route = jest.fn<number, [string]>(() => 0);
    const { s } = setup({}, route);
    const first = s.watch(ref('w'));
    const second = s.watch(ref('w'));
    first();
    first(); // a second call of one end does nothing
    s.notify(ref('w'));
    expect(route).not.toHaveBeenCalled();
    second();
    s.notify(ref('w'));
    expect(route.mock.calls.map(([k]) => k)).toEqual([counterKey(ref('w'))]);
    // In both lanes now (the first offer still waits in the watched one): rolled up twice, as
    // by two instances, which the roll-up allows.
    expect(s.depth()).toBe(2);
  });

  it(`takes at most WATCHED_MAX counters; the others watched stay on the hashed queues`, () => {
    const route = jest.fn<number, [string]>(() => 0);
    const { s } = setup({}, route);
    const watched = names(WATCHED_MAX + 1, 'w');
    for (const n of watched) s.watch(ref(n));
    for (const n of watched) s.notify(ref(n));
    expect(route.mock.calls.map(([k]) => k)).toEqual([counterKey(ref(watched[WATCHED_MAX]!))]);
  });
});

describe('RollupSidecar with a followed predicate (writes offer only followed or watched counters)', () => {
  it("notifyMany queues the followed and the watched, counts the others as 'unfollowed'; notify and notifyRead are not filtered", () => {
    const followed = new Set([counterKey(ref('f'))]);
    const { s, metrics } = setupFollowed((k) => followed.has(k));
    s.watch(ref('w'));
    const refs = ['f', 'w', 'u', 'v'].map(ref);
    s.notifyMany(refs, refs.map(counterKey));
    expect(offers(metrics, 'unfollowed')).toBe(2);
    expect(offers(metrics, 'queued')).toBe(2);
    s.notify(ref('u'));
    s.notifyRead(ref('v'));
    expect(offers(metrics, 'queued')).toBe(4);
  });

  it('follows every counter watched here, past the watched lane too', () => {
    const { s, metrics } = setupFollowed(() => false);
    const watched = names(WATCHED_MAX + 1, 'w');
    for (const n of watched) s.watch(ref(n));
    const refs = watched.map(ref);
    s.notifyMany(refs, refs.map(counterKey));
    expect(offers(metrics, 'unfollowed')).toBe(0);
    expect(s.depth()).toBe(WATCHED_MAX + 1);
  });
});
