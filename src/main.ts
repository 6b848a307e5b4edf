import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { startTracing } from './telemetry/sdk';

/** Process entry: configuration from the environment, graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Before the app: its spans need the SDK's tracer provider and context manager in place.
  const tracing = startTracing(config.tracing);
  const app = await createApp(config);
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    app.log.info({ signal }, 'stopping');
    app
      .stop()
      .then(() => tracing?.shutdown())
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
