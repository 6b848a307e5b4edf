import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The modules an instance loads only when its configuration uses them (src/telemetry/sdk.ts,
 * src/backends.ts): the OpenTelemetry SDK held ~14 MB of heap and the Cassandra driver ~3 MB
 * in every embedded instance before (docs/benchmarks.md, peak RSS). Checked in a fresh Node
 * process on the built service (dist/, which the global setup keeps current), where
 * `require.cache` lists every module loaded.
 */
async function loaded(script: string): Promise<string[]> {
  const probe = `${script}; process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
  const { stdout } = await run(process.execPath, ['-e', probe], { cwd: ROOT, timeout: 60_000 });
  return JSON.parse(stdout) as string[];
}

const has = (files: string[], pkg: string) => files.some((f) => f.includes(`${path.sep}node_modules${path.sep}${pkg}${path.sep}`));

describe('modules loaded at start', () => {
  it('the app and the tracing entry load neither the OpenTelemetry SDK nor the Cassandra driver', async () => {
    const files = await loaded(`require('./dist/src/app'); require('./dist/src/telemetry/sdk')`);
    expect(files.some((f) => f.endsWith(path.join('dist', 'src', 'app.js')))).toBe(true);
    for (const pkg of ['cassandra-driver', '@opentelemetry/sdk-node', '@opentelemetry/exporter-trace-otlp-http']) expect([pkg, has(files, pkg)]).toEqual([pkg, false]);
  });

  it('tracing on loads the SDK, and the Cassandra store the driver', async () => {
    const traced = await loaded(
      `require('./dist/src/telemetry/sdk').startTracing({ endpoint: 'http://127.0.0.1:9', serviceName: 't' }).shutdown()`,
    );
    expect(has(traced, '@opentelemetry/sdk-node')).toBe(true);
    const cassandra = await loaded(`require('./dist/src/store/cassandra/cassandraStore')`);
    expect(has(cassandra, 'cassandra-driver')).toBe(true);
  });
});
