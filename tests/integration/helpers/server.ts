import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../../src/app';
import { loadConfig } from '../../../src/config';

export interface TestServer {
  app: App;
  url: string;
  dataDir: string;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GqlResponse<T>>;
  stop(): Promise<void>;
}

export interface GqlResponse<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } & Record<string, unknown>; path?: unknown[] }[];
}

/** A fresh data directory under the OS temp dir. */
export const tempDir = (prefix = 'counters-test-'): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** POSTs one GraphQL operation over real HTTP. */
export async function gqlAt<T>(url: string, query: string, variables?: Record<string, unknown>): Promise<GqlResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as GqlResponse<T>;
  return { ...body, status: res.status };
}

/**
 * Starts the real service in this process on an ephemeral loopback port, on a fresh
 * embedded store unless `env` says otherwise.
 */
export async function startServer(env: Record<string, string | number> = {}): Promise<TestServer> {
  const dataDir = String(env.COUNTER_DATA_DIR ?? tempDir());
  const config = loadConfig(process.env, { PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env, COUNTER_DATA_DIR: dataDir });
  const app = await createApp(config);
  return {
    app,
    url: app.url,
    dataDir,
    gql: (q, v) => gqlAt(app.url, q, v),
    stop: () => app.stop(),
  };
}

/** Reads one Prometheus counter's value from GET /metrics (sum over matching label sets). */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

export async function createNamespace(
  s: { gql: TestServer['gql'] },
  name: string,
  mode: 'BEST_EFFORT' | 'EVENTUAL' | 'ACCURATE',
  extra: Record<string, unknown> = {},
): Promise<void> {
  const r = await s.gql(`mutation ($input: NamespaceInput!) { createNamespace(input: $input) { name } }`, {
    input: { name, mode, ...extra },
  });
  if (r.errors) throw new Error(`createNamespace ${name}: ${JSON.stringify(r.errors)}`);
}

/** Polls fn until it returns true or the timeout passes; returns elapsed ms. */
export async function waitFor(fn: () => Promise<boolean> | boolean, timeoutMs = 10_000, stepMs = 10): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
