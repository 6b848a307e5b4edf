/**
 * The local Cassandra node as the cassandra scenario sees it: the CPU its JVM spent, and a wait
 * for it to go idle before a measured run. A write run leaves the node flushing memtables and compacting for seconds after
 * its last request (measured: 30-60% of a core for ~10 s after the raw driver's 170K
 * inserts), and whichever run comes next would share the 2 cores with that work: the
 * EVENTUAL read ran right after the raw inserts and the raw selects a minute later, a
 * comparison of a busy node with a quiet one. Linux only, and only for a node on this machine
 * (the JVM found by its main class); elsewhere it waits for nothing and says so.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** USER_HZ: /proc times are in ticks of 10 ms. */
const TICKS_PER_S = 100;
/** Idle: under this share of one core over a sample, SAMPLES_IDLE samples in a row. */
const IDLE_SHARE = 0.15;
const SAMPLE_MS = 1000;
const SAMPLES_IDLE = 2;
/** The wait's bound: a node that never settles (a service's background sweeps) is measured as it is. */
const MAX_WAIT_MS = 45_000;

/** The pids of the Cassandra JVMs on this machine (none: not local, or not Linux). */
function cassandraPids(): number[] {
  try {
    return execFileSync('pgrep', ['-f', 'org.apache.cassandra.service.CassandraDaemon'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** CPU seconds (user + system) of a process so far, or undefined once it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the local nodes' JVMs have spent so far (undefined: no local node). The node
 * shares the 2 cores with the service, so its CPU per operation is the figure that says how
 * much of a node a design costs, whatever the machine's load.
 */
export function cassandraCpuSeconds(): number | undefined {
  const pids = cassandraPids();
  if (pids.length === 0) return undefined;
  return pids.reduce((s, pid) => s + (cpuSeconds(pid) ?? 0), 0);
}

/** What the wait found: how long it took, the node's busiest sample, whether it settled. */
export interface IdleWait {
  waitedMs: number;
  peakShare: number;
  /** The node's share of a core over the idle samples that ended the wait: what it spends doing nothing asked of it. */
  idleShare: number;
  settled: boolean;
  local: boolean;
}

/** Samples the local nodes' CPU until they are idle (see IDLE_SHARE) or MAX_WAIT_MS passed. */
export async function waitForIdleCassandra(): Promise<IdleWait> {
  const pids = cassandraPids();
  if (pids.length === 0) return { waitedMs: 0, peakShare: NaN, idleShare: NaN, settled: false, local: false };
  const started = Date.now();
  const total = (): number => pids.reduce((s, pid) => s + (cpuSeconds(pid) ?? 0), 0);
  let idle: number[] = [];
  let peakShare = 0;
  let prev = total();
  let lastShare = NaN;
  while (Date.now() - started < MAX_WAIT_MS) {
    await sleep(SAMPLE_MS);
    const cur = total();
    const share = (cur - prev) / (SAMPLE_MS / 1000);
    prev = cur;
    lastShare = share;
    peakShare = Math.max(peakShare, share);
    idle = share < IDLE_SHARE ? [...idle, share] : [];
    if (idle.length >= SAMPLES_IDLE) {
      const idleShare = idle.reduce((a, b) => a + b, 0) / idle.length;
      return { waitedMs: Date.now() - started, peakShare, idleShare, settled: true, local: true };
    }
  }
  return { waitedMs: Date.now() - started, peakShare, idleShare: lastShare, settled: false, local: true };
}
