jest.mock('node:timers/promises', () => jest.requireActual('../fakes').fakeTimersPromises);

import { BACKGROUND_COALESCE_MS } from '../../../rollup/sidecar';
import { ref, setup, useSidecarHooks } from './sidecarSetup';

useSidecarHooks();

describe('RollupSidecar background work on a shared store', () => {
  it('notifyLater offers background work, taken whole (up to batchMax) once gathered, whatever the batch size has shrunk to', async () => {
    const { s, batches, duration } = setup({ batchMin: 2, batchMax: 64, batchTargetMs: 10 });
    duration.ms = () => 50; // past batchTargetMs: urgent batches shrink to batchMin
    s.start();
    s.notify(ref('u0'));
    s.notify(ref('u1'));
    s.notify(ref('u2'));
    await jest.advanceTimersByTimeAsync(200);
    expect(batches.slice(0, 2)).toEqual([['u0', 'u1'], ['u2']]);
    const later = Array.from({ length: 40 }, (_, i) => ref(`l${i}`));
    s.notifyLater(later);
    await jest.advanceTimersByTimeAsync(BACKGROUND_COALESCE_MS - 1);
    expect(batches).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(batches[2]).toEqual(later.map((r) => r.name));
  });

  it('with an exclusive store, background work keeps the resized batches', async () => {
    const { s, batches } = setup({ exclusiveStore: true, batchMin: 4, batchMax: 64 });
    s.start();
    s.notifyLater(Array.from({ length: 10 }, (_, i) => ref(`l${i}`)));
    await jest.advanceTimersByTimeAsync(BACKGROUND_COALESCE_MS);
    expect(batches[0]).toHaveLength(4);
  });
});
