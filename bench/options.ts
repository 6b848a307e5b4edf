/**
 * The bench's command line, parsed strictly with node:util parseArgs: every option, its
 * default and its meaning in one table, from which --help is printed. A bad command line is a
 * UsageError naming the option (run.ts prints it and exits 2).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './procs';
import type { Options, Scenario } from './types';

/** A command line the bench cannot run: the message names the option and the problem. */
export class UsageError extends Error {}

/** Every default but the scenarios, which are all of those the runner passes in. */
const DEFAULTS: Omit<Options, 'scenarios'> = {
  durationS: 10,
  warmupS: 2,
  connections: 50,
  batch: 200,
  sustainS: 60,
  subscribers: 10_000,
  scalingCounters: [1, 10_000, 1_000_000],
  json: path.join(ROOT, 'bench', 'results', 'latest.json'),
  cpuProf: false,
};

const nonNegative = (raw: string, flag: string): number => {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < 0) throw new UsageError(`${flag} needs a non-negative number, got '${raw}'`);
  return v;
};
/** A count of at least 1 (a fraction rounds, 0 becomes 1, as the bench always did). */
const atLeastOne = (raw: string, flag: string): number => Math.max(1, Math.round(nonNegative(raw, flag)));
const list = (raw: string): string[] => raw.split(',').map((s) => s.trim()).filter(Boolean);

function scenarioList(raw: string, flag: string, names: readonly string[]): string[] {
  const picked = list(raw);
  if (picked.length === 0) throw new UsageError(`${flag} needs at least one of ${names.join(', ')}`);
  for (const s of picked) if (!names.includes(s)) throw new UsageError(`${flag}: unknown scenario '${s}'; one of ${names.join(', ')}`);
  return picked;
}

function counterList(raw: string, flag: string): number[] {
  const ns = list(raw).map(Number);
  if (ns.length === 0 || ns.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`${flag} needs a comma-separated list of whole numbers >= 1, got '${raw}'`);
  return ns;
}

interface Flag {
  /** The value's placeholder in --help; none for a switch. */
  arg?: string;
  help: string;
  /** The default as --help shows it. */
  shown: string;
  apply(o: Options, raw: string | boolean, flag: string): void;
}

/** An option taking a value, parsed into Options[key]. */
function value<K extends keyof typeof DEFAULTS>(key: K, arg: string, help: string, parse: (raw: string, flag: string) => Options[K], shown?: string): Flag {
  const d = DEFAULTS[key];
  return { arg, help, shown: shown ?? (Array.isArray(d) ? d.join(',') : String(d)), apply: (o, raw, flag) => void (o[key] = parse(String(raw), flag)) };
}

/** The option table, --scenarios checked against the scenario names given. */
const flags = (names: readonly string[]): Record<string, Flag> => ({
  scenarios: {
    arg: 'a,b,..',
    help: 'scenarios to run, in this order; see below',
    shown: 'all',
    apply: (o, raw, flag) => void (o.scenarios = scenarioList(String(raw), flag, names)),
  },
  duration: value('durationS', 'S', 'measured seconds per run', nonNegative),
  warmup: value('warmupS', 'S', 'unmeasured warm-up seconds before each run', nonNegative),
  connections: value('connections', 'N', 'HTTP connections of the load generator', atLeastOne),
  batch: value('batch', 'N', 'addCounts items per request', atLeastOne),
  sustain: value('sustainS', 'S', 'seconds of the sustained-load scenario', nonNegative),
  subscribers: value('subscribers', 'N', 'subscribers of the fan-out scenario', atLeastOne),
  scaling: value('scalingCounters', 'a,b,c', 'distinct counters of the scaling curve', counterList),
  json: value('json', 'PATH', 'where to write results; server logs go beside it in logs/', (raw) => path.resolve(raw), path.relative(ROOT, DEFAULTS.json)),
  'cpu-prof': { help: 'run the service under node --cpu-prof; profiles in the results dir', shown: 'off', apply: (o) => void (o.cpuProf = true) },
  rate: value('rate', 'N', 'offer a fixed N req/s instead of as many as answered; compare CPU µs/req', nonNegative, 'unset'),
});

/** The --help text: every option with its default, then every scenario given (the runner's registry). */
export function helpText(scenarios: readonly Pick<Scenario, 'name' | 'description'>[]): string {
  const opt = (flag: string, f: Pick<Flag, 'arg' | 'help'> & { shown?: string }) =>
    `  ${`${flag}${f.arg ? ` ${f.arg}` : ''}`.padEnd(20)} ${f.help}${f.shown ? ` (default: ${f.shown})` : ''}`;
  return [
    'npm run bench -- [options]',
    '',
    'options:',
    ...Object.entries(flags(scenarios.map((s) => s.name))).map(([name, f]) => opt(`--${name}`, f)),
    opt('-h, --help', { help: 'print this help and exit' }),
    '',
    'scenarios:',
    ...scenarios.map((s) => `  ${s.name.padEnd(12)} ${s.description}`),
    '',
    'BENCH_SERVICE_ENTRY=path/to/main.js runs another build of the service (A/B of a change).',
  ].join('\n');
}

/**
 * Parses argv (without node and script) against the scenario names the runner has (all of
 * them, in order, by default): the options to run with, or a request for --help.
 */
export function parseOptions(argv: string[], scenarios: readonly string[]): { kind: 'run'; options: Options } | { kind: 'help' } {
  const table = flags(scenarios);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.entries(table).map(([name, f]) => [name, { type: f.arg ? ('string' as const) : ('boolean' as const) }])),
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // parseArgs's own messages name the option ("Unknown option '--x'", "Option '--duration <value>' argument missing").
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) throw new UsageError((err as Error).message);
    throw err;
  }
  if (parsed.values['help']) return { kind: 'help' };
  // scenarios first: the key order of the JSON's "options" as it always was.
  const o: Options = { scenarios: [...scenarios], ...DEFAULTS, scalingCounters: [...DEFAULTS.scalingCounters] };
  for (const [name, raw] of Object.entries(parsed.values)) if (typeof raw === 'string' || raw === true) table[name]!.apply(o, raw, `--${name}`);
  return { kind: 'run', options: o };
}
