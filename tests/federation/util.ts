import { metric, waitFor } from '../helpers/server';

/** Waits until the roll-up sidecar is idle: no store reads for a while and empty queues. */
export async function quiet(url: string, idleMs = 300): Promise<void> {
  let last = -1;
  let since = Date.now();
  await waitFor(async () => {
    const reads = await metric(url, 'counter_store_calls_total');
    const depth = await metric(url, 'rollup_queue_depth');
    if (reads !== last || depth > 0) {
      last = reads;
      since = Date.now();
      return false;
    }
    return Date.now() - since >= idleMs;
  }, 15_000, 50);
}
