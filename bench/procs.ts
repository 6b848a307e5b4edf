/** Child processes of the bench: the service, the baseline, load agents; RSS and metrics. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentMessage, HttpResult, LagResult, Task } from './agents/protocol';
import { sampleAfterGc, type MemorySample } from './memory';
import { BENCH_NAMESPACE } from './workload';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface Server {
  name: string;
  url: string;
  pid: number;
  dataDir?: string;
  /** Peak resident set (VmHWM) so far, MB. */
  peakRssMb(): number;
  rssMb(): number;
  /** CPU time (user + system) the process has used so far, ms. */
  cpuMs(): number;
  metrics(): Promise<Map<string, number>>;
  /** Main-thread memory after a full gc, through the inspector (a service started with `inspect`). */
  memoryAfterGc?(): Promise<MemorySample>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function procStatusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}

/** Parses Prometheus text: series (name + labels) -> value, and name -> sum over labels. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (m[2]) out.set(m[1]! + m[2], v);
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + v);
  }
  return out;
}

async function startProcess(name: string, script: string, env: Record<string, string>, logDir: string, extraArgs: string[] = []): Promise<Server> {
  const port = await freePort();
  const log = fs.openSync(path.join(logDir, `${name}.log`), 'a');
  const child = spawn(process.execPath, [...extraArgs, script], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const base = `http://127.0.0.1:${port}`;
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `${name} exited (${code ?? sig}); see ${path.join(logDir, `${name}.log`)}`));
  const until = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(exited);
    try {
      const r = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > until) throw new Error(`${name} did not start within 30 s`);
    await sleep(100);
  }
  const pid = child.pid!;
  return {
    name,
    url: `${base}/graphql`,
    pid,
    peakRssMb: () => procStatusKb(pid, 'VmHWM') / 1024,
    rssMb: () => procStatusKb(pid, 'VmRSS') / 1024,
    cpuMs: () => procCpuMs(pid),
    metrics: async () => parseMetrics(await (await fetch(`${base}/metrics`)).text()),
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export interface ServiceOptions {
  logDir: string;
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Opens the inspector on a loopback port (memoryAfterGc: retained bytes per counter, per subscription). */
  inspect?: boolean;
}

/** The real service (`node dist/src/main.js`) on a fresh data dir with the `bench` EVENTUAL namespace. */
export async function startService(name: string, o: ServiceOptions): Promise<Server> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'counter-bench-'));
  const nsFile = path.join(dataDir, 'namespaces.json');
  fs.writeFileSync(nsFile, JSON.stringify([{ name: BENCH_NAMESPACE, mode: 'EVENTUAL' }]));
  const inspectorPort = o.inspect ? await freePort() : undefined;
  const s = await startProcess(
    name,
    // BENCH_SERVICE_ENTRY: another build of the service, for A/B comparisons of a change.
    process.env.BENCH_SERVICE_ENTRY ? path.resolve(process.env.BENCH_SERVICE_ENTRY) : path.join(ROOT, 'dist', 'src', 'main.js'),
    { LOG_LEVEL: 'warn', COUNTER_DATA_DIR: path.join(dataDir, 'data'), COUNTER_NAMESPACES_FILE: nsFile, ...o.env },
    o.logDir,
    [...(o.nodeArgs ?? []), ...(inspectorPort ? [`--inspect=127.0.0.1:${inspectorPort}`] : [])],
  );
  const stop = s.stop;
  return {
    ...s,
    dataDir,
    ...(inspectorPort ? { memoryAfterGc: () => sampleAfterGc(inspectorPort) } : {}),
    stop: async () => {
      await stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function startBaseline(name: string, logDir: string): Promise<Server> {
  return startProcess(name, path.join(__dirname, 'baseline.js'), {}, logDir);
}

/** Runs fn on a server once it has started, and stops the server afterwards, whatever happens. */
export async function withServer<T>(started: Promise<Server>, fn: (s: Server) => Promise<T>): Promise<T> {
  const s = await started;
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

/** Runs one agent task in a child process; progress messages go to onProgress. */
export function runAgent<R extends HttpResult | LagResult>(
  task: Task,
  onProgress: (m: Extract<AgentMessage, { type: 'progress' }>) => void = () => {},
  /** Called when an agent that was told to wait (subscribers: holdWhenReady) is ready; it goes on once this resolves. */
  onReady: () => Promise<void> = async () => {},
): Promise<R> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(path.join(__dirname, 'agent.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    child.on('message', (m: AgentMessage) => {
      if (m.type === 'progress') onProgress(m);
      else if (m.type === 'ready')
        onReady().then(
          () => child.send({ type: 'go' }),
          (err: Error) => {
            settled = true;
            child.kill();
            reject(err);
          },
        );
      else if (m.type === 'result') {
        settled = true;
        resolve(m.result as R);
      } else if (m.type === 'error') {
        settled = true;
        reject(new Error(`agent: ${m.message}`));
      }
    });
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`agent exited with ${code} before reporting`));
    });
    child.send(task);
  });
}
