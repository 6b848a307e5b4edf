import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * A worker thread's entry, compiled. From dist/ it sits beside this file; from the
 * TypeScript sources (tests) the built copy is used, which the integration tests' global
 * setup keeps current (a worker cannot load .ts).
 */
function entry(name: string): string {
  const beside = path.join(__dirname, `${name}.js`);
  if (fs.existsSync(beside)) return beside;
  const built = path.resolve(__dirname, '..', '..', '..', 'dist', 'src', 'store', 'embedded', `${name}.js`);
  if (fs.existsSync(built)) return built;
  throw new Error(`the embedded store's ${name} thread is not built (${built}): run npm run build`);
}

/**
 * Young generation of each thread's V8 heap, MiB. A thread's default is the main thread's
 * (up to 32 MiB of new space, committed once a burst of appends or snapshot reads fills it):
 * under bulk load the two threads held ~17 MB more resident than with 4 MiB, measured by the
 * bench (peak RSS and RSS per counter, docs/benchmarks.md). Their objects (one batch of
 * events, one batch of snapshots) die within a request: a small nursery collects them as well.
 */
const THREAD_YOUNG_GENERATION_MB = 4;

/** What a thread answers to one request (see serveRequests). */
export type ThreadReply = { id: number; result: unknown } | { id: number; error: { message: string; stack?: string } };

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * The main thread's side of one of the embedded store's threads (writer.ts, reader.ts):
 * request/reply by id over the worker's port; the thread runs requests in arrival order.
 * `Ops` maps each op's request to its result type.
 *
 * If the thread dies (a native crash, an out-of-memory, a kill), every request in flight is
 * rejected (a client sees UNAVAILABLE and retries with its token: a transaction that did
 * commit before the death is then found by its idempotency key) and the next request starts
 * a new thread. Starting it lazily, on demand, means a thread that cannot start (a broken
 * file) costs one failed request per attempt, never a restart loop.
 */
export class ThreadClient<Ops extends { op: string }, Results extends Record<Ops['op'], unknown>> {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly name: 'writer' | 'reader',
    private readonly workerData: unknown,
  ) {
    this.worker = this.spawn();
  }

  /** `transfer`: buffers of the op that are moved to the thread rather than copied (detached here once sent). */
  request<K extends Ops['op']>(op: Extract<Ops, { op: K }>, transfer: ArrayBuffer[] = []): Promise<Results[K]> {
    if (this.closed) return Promise.reject(new Error('the embedded store is closed'));
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Held open only while something waits for the thread (the server holds the process
      // otherwise): a stop that awaits its last commits is not cut short by an empty loop.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...op, id }, transfer);
    });
  }

  /** Lets the thread finish what it was sent, then ends it (its 'close' op closes its connection). */
  async close(closeOp: Extract<Ops, { op: 'close' }>): Promise<void> {
    if (this.closed) return;
    const worker = this.worker;
    if (worker) {
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      await this.request(closeOp).catch(() => undefined);
      this.closed = true;
      await exited;
    }
    this.closed = true;
  }

  /** Ends the thread at once, as a crash would (tests of the thread dying). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  private spawn(): Worker {
    const worker = new Worker(entry(this.name), { workerData: this.workerData, resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB } });
    worker.unref();
    let failure: Error | undefined;
    worker.on('message', (m: ThreadReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if ('error' in m) p.reject(Object.assign(new Error(m.error.message), { stack: m.error.stack }));
      else p.resolve(m.result);
    });
    worker.on('error', (err) => (failure = err));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      const why = new Error(`the embedded store's ${this.name} thread ended (exit code ${code}${failure ? `: ${failure.message}` : ''})`);
      for (const p of this.pending.values()) p.reject(why);
      this.pending.clear();
    });
    return worker;
  }
}
