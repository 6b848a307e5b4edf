/**
 * CPU per event of the embedded store's threads under a bulk load, without the service:
 * groups of GROUP events over COUNTERS random counters appended one after another through an
 * EmbeddedStore (its real writer thread, FULL synchronous, a fresh directory), CPU per OS
 * thread from /proc/self/task/<tid>/stat over the measured groups. With CKPT=1 it also does
 * what the roll-up would: the counters of each group are read (background snapshots) and
 * checkpointed 5 groups later, in batches of 512 sent together, and the pending counters are
 * listed once a second. `node dist/bench/storeCpu.js [dist dir of the build to measure]`
 * (default: this build); NGROUPS, GROUP, COUNTERS, CKPT in the environment. Linux only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CounterEvent, CounterRef } from '../src/model';
import type { Store } from '../src/store/types';

const dist = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
const GROUP = Number(process.env['GROUP'] ?? 4000);
const GROUPS = Number(process.env['NGROUPS'] ?? 60);
const COUNTERS = Number(process.env['COUNTERS'] ?? 100_000);
const CKPT = process.env['CKPT'] === '1';
/** USER_HZ: /proc times are in ticks of 10 ms. */
const TICKS_PER_S = 100;

/** CPU seconds (user + system) per thread id of this process. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(tid, (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S);
  }
  return out;
}

async function main(): Promise<void> {
  const { EmbeddedStore } = (await import(path.join(dist, 'src/store/embedded/embeddedStore.js'))) as { EmbeddedStore: new (dir: string, sync: 'FULL') => Store };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-cpu-'));
  const store = new EmbeddedStore(dir, 'FULL');
  await store.createNamespace({ name: 'b', mode: 'EVENTUAL', ttlSeconds: null, retentionSeconds: 86_400, acceptLimitMs: 5000 });
  let seq = 0;
  const group = (): CounterEvent[] => {
    const now = Date.now() * 1000;
    return Array.from({ length: GROUP }, (_, i) => ({ namespace: 'b', name: `c${Math.floor(Math.random() * COUNTERS)}`, timeUs: now + i, eventId: `e${seq++}`, clear: false, delta: 1n }));
  };
  const past: CounterEvent[][] = [];
  let listedAt = 0;
  const step = async (): Promise<void> => {
    const g = group();
    await store.append(g);
    past.push(g);
    if (!CKPT || past.length <= 5) return;
    const old = past.shift()!;
    const at = old[old.length - 1]!.timeUs;
    const refs: CounterRef[] = [...new Map(old.map((e) => [e.name, { namespace: 'b', name: e.name }])).values()];
    const batches = Array.from({ length: Math.ceil(refs.length / 512) }, (_, i) => refs.slice(i * 512, (i + 1) * 512));
    await Promise.all(batches.map((b) => store.readSnapshots({ refs: b, settleUs: at, background: true })));
    if (Date.now() - listedAt > 1000) {
      listedAt = Date.now();
      await store.listPending({ namespace: 'b', upToUs: at, limit: 10_000 });
    }
    await Promise.all(batches.map((b) => store.writeCheckpoints(b.map((ref) => ({ ref, count: 1n, checkpointUs: at })))));
  };
  for (let g = 0; g < 10; g++) await step(); // warm-up
  const before = threadCpu();
  const t0 = Date.now();
  for (let g = 0; g < GROUPS; g++) await step();
  const wallS = (Date.now() - t0) / 1000;
  const used = [...threadCpu()].map(([tid, s]) => [tid, s - (before.get(tid) ?? 0)] as const);
  const mainTid = String(process.pid);
  // The writer and reader threads start after the main thread's helpers: the two newest
  // threads, the writer first.
  const [writerTid] = [...used.map(([tid]) => Number(tid))].sort((a, b) => a - b).slice(-2);
  const cpu = (tid: string): number => used.find(([t]) => t === tid)?.[1] ?? 0;
  const n = GROUP * GROUPS;
  const usPer = (s: number): number => Math.round((s * 1e7) / n) / 10;
  console.log(
    JSON.stringify({
      dist,
      events: n,
      eventsPerS: Math.round(n / wallS),
      writerUsPerEvent: usPer(cpu(String(writerTid))),
      mainUsPerEvent: usPer(cpu(mainTid)),
      walMb: Math.round(fs.statSync(path.join(dir, 'counters.sqlite3-wal')).size / 1e5) / 10,
      load: os.loadavg().map((l) => l.toFixed(1)).join(' '),
    }),
  );
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
