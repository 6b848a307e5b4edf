/** The sidecar tests' set-up: a sidecar over a fake job that records its batches (fake time). */
import { RollupSidecar, type SidecarOptions } from '../../../rollup/sidecar';
import type { Router } from '../../../rollup/router';
import type { CounterRef } from '../../../src/model';
import { asLogger, asMetrics, fakeLog, fakeMetrics } from '../fakes';

export const ref = (name: string): CounterRef => ({ namespace: 'ns', name });
export const names = (n: number, prefix = 'c'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

export interface Setup {
  s: RollupSidecar;
  batches: string[][];
  startedAt: number[];
  work: jest.Mock;
  pending: jest.Mock;
  metrics: ReturnType<typeof fakeMetrics>;
  log: ReturnType<typeof fakeLog>;
  /**
   * ms the next batches take (fake time), a function of the batch index; with `publish`, the
   * ms after which a batch calls onPublished (its checkpoint write then runs until `ms`).
   */
  duration: { ms: (i: number) => number; publish?: (i: number) => number };
  /** Batch indexes that fail. */
  failing: Set<number>;
}

let live: RollupSidecar[] = [];

/** A sidecar whose writes offer only the counters `followed` says (see RollupSidecar's last parameter). */
export const setupFollowed = (followed: (key: string) => boolean, over: Partial<SidecarOptions> = {}): Setup => setup(over, () => 0, followed);

export function setup(over: Partial<SidecarOptions> = {}, route: Router = () => 0, followed?: (key: string) => boolean): Setup {
  const opts: SidecarOptions = {
    queues: 1,
    queueCapacity: 100,
    coalesceMs: 25,
    batchMin: 2,
    batchMax: 8,
    batchTargetMs: 20,
    sweepIntervalMs: 1000,
    readRefreshMs: 5000,
    exclusiveStore: false,
    ...over,
  };
  const batches: string[][] = [];
  const startedAt: number[] = [];
  const duration: Setup['duration'] = { ms: (_i: number) => 0 };
  const failing = new Set<number>();
  const work = jest.fn(async (refs: CounterRef[], onPublished?: () => void) => {
    const i = batches.length;
    batches.push(refs.map((r) => r.name));
    startedAt.push(performance.now());
    const pub = duration.publish?.(i);
    if (pub !== undefined) {
      if (pub > 0) await new Promise((r) => setTimeout(r, pub));
      onPublished?.();
    }
    const ms = duration.ms(i) - (pub ?? 0);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    if (failing.has(i)) throw new Error(`batch ${i} failed`);
  });
  const pending = jest.fn(async (_opts: { all: boolean }) => [] as CounterRef[]);
  const metrics = fakeMetrics();
  const log = fakeLog();
  const s = new RollupSidecar(opts, route, work, pending, asMetrics(metrics), asLogger(log), followed);
  live.push(s);
  return { s, batches, startedAt, work, pending, metrics, log, duration, failing };
}

export const offers = (m: ReturnType<typeof fakeMetrics>, outcome: string): number => m.rollupOffers.total({ outcome });

/** Fake timers for each test; every sidecar set up is stopped after it. */
export function useSidecarHooks(): void {
beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(async () => {
  const stopping = Promise.all(live.map((s) => s.stop()));
  await jest.runAllTimersAsync();
  await stopping;
  live = [];
  jest.useRealTimers();
});
}
