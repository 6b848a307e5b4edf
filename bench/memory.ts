/**
 * Deterministic memory figures of the service process, read through its inspector (the bench
 * starts it with --inspect on a loopback port of its own): a full garbage collection
 * (HeapProfiler.collectGarbage), then process.memoryUsage() in the service's main thread.
 * Peak RSS (VmHWM) says what a run cost at worst; these say what stays retained, so a
 * difference between two samples divided by what was added between them (distinct counters,
 * subscriptions) is a cost per item that the machine's load does not blur.
 */
import WebSocket from 'ws';

/** process.memoryUsage() of the service's main thread after a full gc, MB (rss covers every thread). */
export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}

const MB = 2 ** 20;

interface InspectorReply {
  id?: number;
  result?: { result?: { value?: unknown } };
  error?: { message: string };
}

/** The main thread's inspector session URL of a process started with --inspect=127.0.0.1:port. */
async function sessionUrl(port: number): Promise<string> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  return url;
}

/** Runs inspector commands in order on one session; the last one's result. */
async function inspect(port: number, commands: { method: string; params?: Record<string, unknown> }[]): Promise<unknown> {
  const ws = new WebSocket(await sessionUrl(port));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  try {
    let last: unknown;
    for (const [i, c] of commands.entries()) {
      last = await new Promise<unknown>((resolve, reject) => {
        const onMessage = (raw: WebSocket.RawData): void => {
          const m = JSON.parse(String(raw)) as InspectorReply;
          if (m.id !== i + 1) return; // an event, or another reply
          ws.off('message', onMessage);
          if (m.error) reject(new Error(`inspector ${c.method}: ${m.error.message}`));
          else resolve(m.result);
        };
        ws.on('message', onMessage);
        ws.send(JSON.stringify({ id: i + 1, ...c }));
      });
    }
    return last;
  } finally {
    ws.close();
  }
}

/**
 * A full gc (twice: the first can leave objects whose finalizers free more), then the main
 * thread's memory figures.
 */
export async function sampleAfterGc(inspectorPort: number): Promise<MemorySample> {
  const r = (await inspect(inspectorPort, [
    { method: 'HeapProfiler.collectGarbage' },
    { method: 'HeapProfiler.collectGarbage' },
    { method: 'Runtime.evaluate', params: { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true } },
  ])) as { result?: { value?: string } };
  const u = JSON.parse(r.result?.value ?? 'null') as NodeJS.MemoryUsage | null;
  if (!u) throw new Error('the service did not answer process.memoryUsage()');
  return { rssMb: u.rss / MB, heapUsedMb: u.heapUsed / MB, heapTotalMb: u.heapTotal / MB, externalMb: u.external / MB, arrayBuffersMb: u.arrayBuffers / MB };
}

/** Bytes per item between two samples: (after - before) / items, by RSS and by the main heap. */
export function perItem(before: MemorySample, after: MemorySample, items: number): { rssBytes: number; heapBytes: number; externalBytes: number } {
  const per = (a: number, b: number): number => (items > 0 ? ((a - b) * MB) / items : NaN);
  return {
    rssBytes: per(after.rssMb, before.rssMb),
    heapBytes: per(after.heapUsedMb, before.heapUsedMb),
    externalBytes: per(after.externalMb, before.externalMb),
  };
}

/** What one tracked item (a counter written, a subscription held) keeps in the service, after gc. */
export interface MemoryPerItem {
  unit: 'counter' | 'subscription';
  items: number;
  /** Growth of the main thread's JS heap (heapUsed) per item, bytes. */
  heapBytes: number;
  /** Growth of the whole process's resident set per item (every thread, SQLite's caches), bytes. */
  rssBytes: number;
  externalBytes: number;
  before: MemorySample;
  after: MemorySample;
}

/** The per-item figures of two samples around adding `items` of `unit`. */
export function memoryPerItem(unit: MemoryPerItem['unit'], items: number, before: MemorySample, after: MemorySample): MemoryPerItem {
  return { unit, items, ...perItem(before, after, items), before, after };
}
