import v8 from 'node:v8';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { startTracing } from './telemetry/sdk';

/** Process entry: configuration from the environment, graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Bounds the garbage the heap may hold between full collections (V8's own heuristic lets
  // the old generation grow up to 4x what survived, and RSS follows the request rate): at
  // 100, an embedded addCount load peaked at 231 MB of RSS instead of 331, and the bulk load at
  // 479 instead of 662, for the same throughput (docs/benchmarks.md). Set before the store's
  // threads start: V8's flags are the process's, the threads' heaps follow them too.
  if (config.heapGrowingPercent > 0) v8.setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  // Before the app: its spans need the SDK's tracer provider and context manager in place.
  const tracing = startTracing(config.tracing);
  const app = await createApp(config);
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    app.log.info({ signal }, 'stopping');
    // Holds the process until the stop is done: once the server, sockets and timers are
    // closed, what is left (the store's worker threads, the span exporter's request) may
    // not keep the event loop alive, and Node would exit in the middle of the stop with 0,
    // before the roll-up's last flush, the store's close or the last spans were sent.
    const hold = setInterval(() => undefined, 1000);
    app
      .stop()
      .then(() => tracing?.shutdown())
      .finally(() => clearInterval(hold))
      .then(
        () => process.exit(0),
        (err) => {
          app.log.error({ err }, 'error while stopping');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((err) => {
  // A bad setting names itself; anything else is a start failure with its stack.
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
