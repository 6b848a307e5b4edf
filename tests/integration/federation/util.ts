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

const READ_OPS = ['readSnapshots', 'convergedCacheGet', 'cacheGet'] as const;
export type ReadCounts = Record<(typeof READ_OPS)[number] | 'rollupBatches', number>;

async function readCounts(url: string): Promise<ReadCounts> {
  const out = { rollupBatches: await metric(url, 'rollup_batch_duration_seconds_count') } as ReadCounts;
  for (const op of READ_OPS) out[op] = await metric(url, 'counter_store_calls_total', { op });
  return out;
}

/**
 * The store reads that `fn` (one request) makes itself, from GET /metrics. Reads wake the
 * roll-up sidecar, whose batches read snapshots too (one read per batch and namespace): so
 * this waits for the sidecar to be idle before and after, and takes the batches' reads off.
 */
export async function requestReads<T>(url: string, fn: () => Promise<T>): Promise<{ result: T; reads: ReadCounts }> {
  await quiet(url);
  const before = await readCounts(url);
  const result = await fn();
  await quiet(url);
  const after = await readCounts(url);
  const d = (k: keyof ReadCounts): number => after[k] - before[k];
  return {
    result,
    reads: {
      readSnapshots: d('readSnapshots') - d('rollupBatches'),
      convergedCacheGet: d('convergedCacheGet'),
      cacheGet: d('cacheGet'),
      rollupBatches: d('rollupBatches'),
    },
  };
}
