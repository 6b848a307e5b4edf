/** The probe task: convergence lag, from a write's acknowledgement to its exact count being seen. */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Samples } from '../stats';
import { addOne, post, watch, wsClient } from './graphqlWs';
import type { LagResult, ProbeTask } from './protocol';

/**
 * Writes to its own probe counters and waits, on a counterUpdated subscription, for the exact
 * count that includes each write; lag = ack -> seen.
 */
export async function runProbe(t: ProbeTask): Promise<LagResult> {
  const client = wsClient(t.url);
  const lags = new Samples();
  let timeouts = 0;
  const TIMEOUT_MS = 5000;
  const deadline = performance.now() + (t.startDelayS + t.durationS) * 1000;
  const measureFrom = performance.now() + t.startDelayS * 1000;
  await Promise.all(
    Array.from({ length: t.probes }, async (_, p) => {
      const name = `probe-${process.pid}-${p}`;
      let latest: bigint | undefined;
      let wake: (() => void) | null = null;
      watch(client, t.namespace, name, (v) => {
        latest = v;
        wake?.();
      });
      const waitFor = async (pred: () => boolean, ms: number): Promise<boolean> => {
        const until = performance.now() + ms;
        while (!pred()) {
          const left = until - performance.now();
          if (left <= 0) return false;
          await new Promise<void>((r) => {
            const timer = setTimeout(r, left);
            wake = () => {
              clearTimeout(timer);
              r();
            };
          });
          wake = null;
        }
        return true;
      };
      if (!(await waitFor(() => latest !== undefined, 10_000))) throw new Error('probe subscription never answered');
      let expected = latest!;
      await sleep(Math.random() * 100);
      while (performance.now() < deadline) {
        const r = await post(t.url, addOne(t.namespace, name));
        if (r.errors) {
          // An overloaded server can hold a request past the accept limit: the write is
          // refused (IDEMPOTENCY_TOKEN_EXPIRED), nothing was added. Count it as a miss.
          if (!JSON.stringify(r.errors).includes('IDEMPOTENCY_TOKEN_EXPIRED')) throw new Error(`probe write failed: ${JSON.stringify(r.errors)}`);
          if (performance.now() >= measureFrom) {
            lags.add(TIMEOUT_MS);
            timeouts++;
          }
          continue;
        }
        const ack = performance.now();
        expected += 1n;
        const ok = await waitFor(() => latest !== undefined && latest >= expected, TIMEOUT_MS);
        if (ack >= measureFrom) {
          if (ok) lags.add(Math.max(0, performance.now() - ack));
          else {
            lags.add(TIMEOUT_MS);
            timeouts++;
          }
        }
        await sleep(50 + Math.random() * 100);
      }
    }),
  );
  await client.dispose();
  return { type: 'lag', lag: lags.summary(), timeouts };
}
