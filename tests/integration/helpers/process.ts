import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from './server';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

/** SIGKILLs every process of the list still running and waits for each to be gone (afterAll). */
export async function killAll(procs: readonly Proc[]): Promise<void> {
  for (const p of procs) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
}

/** A free TCP port on loopback (for a process that must be told its port). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string;
}

/**
 * The built service (dist/src/main.js) as its own process on a free loopback port, on the
 * embedded store without Redis unless `env` says otherwise, as in production (jest's
 * NODE_ENV=test would hide Apollo's own signal handling). Resolves once /healthz answers.
 */
export async function spawnServiceProcess(env: Record<string, string>, startTimeoutMs = 20_000): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      COUNTER_STORE: 'embedded',
      REDIS_URL: '',
      NODE_ENV: 'production',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(
    async () => {
      if (gone) throw new Error(`service exited during start:\n${out}`);
      try {
        return (await fetch(url.replace('/graphql', '/healthz'))).status === 200;
      } catch {
        return false;
      }
    },
    startTimeoutMs,
    50,
  );
  return { child, url, exited, output: () => out };
}
