/**
 * npm run bench [-- options]: starts the service (embedded store, fresh data dir, durable acks:
 * COUNTER_SQLITE_SYNCHRONOUS=FULL) and a bare Apollo Server 5 baseline as child processes,
 * drives them from load-agent child processes (autocannon; graphql-ws for subscriptions),
 * shows progress, prints a table and writes JSON. See docs/benchmarks.md.
 *
 * The wiring only: options in options.ts, one file per scenario in scenarios/, the measured
 * runs in context.ts, the output in report.ts, the types they share in types.ts.
 */
import path from 'node:path';
import { BenchSession } from './context';
import { helpText, parseOptions, UsageError } from './options';
import { header, machine, progress, table, writeJson } from './report';
import { SCENARIOS } from './scenarios';
import type { Row } from './types';

/** Runs the scenarios the command line asks for; a failed scenario becomes a failed row. */
export async function main(argv = process.argv.slice(2)): Promise<Row[]> {
  const parsed = parseOptions(argv, SCENARIOS.map((s) => s.name));
  if (parsed.kind === 'help') {
    process.stdout.write(`${helpText(SCENARIOS)}\n`);
    return [];
  }
  const o = parsed.options;
  const ctx = new BenchSession(o);
  const m = machine();
  const started = Date.now();
  const rows: Row[] = [];
  process.stderr.write(header(o, m));
  for (const name of o.scenarios) {
    process.stderr.write(`▸ ${name}\n`);
    try {
      rows.push(...(await SCENARIOS.find((s) => s.name === name)!.run(ctx)));
    } catch (err) {
      progress('', true);
      process.stderr.write(`  ${name} failed: ${(err as Error).message}\n`);
      rows.push({ scenario: name, measured: `failed: ${(err as Error).message.split('\n')[0]}`, target: '-', met: false });
    }
  }
  process.stdout.write(`\n${table(rows)}\n`);
  writeJson(o, m, started, rows);
  process.stderr.write(`\nwrote ${path.relative(process.cwd(), o.json)}; server logs in ${path.relative(process.cwd(), ctx.logDir)}\n`);
  return rows;
}

if (require.main === module) {
  main().catch((err) => {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n(npm run bench -- --help lists every option)\n`);
      process.exit(2);
    }
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
