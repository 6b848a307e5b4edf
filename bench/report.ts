/**
 * What the bench shows and writes: progress lines on stderr while it runs, the Markdown
 * results table (service vs baseline figures, ratio, then each target and whether it was met)
 * on stdout, and the JSON results file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MemoryPerItem } from './memory';
import type { Figures, Options, Row } from './types';

/** A count with thousands separators and d decimals; '-' for a missing or non-finite figure. */
export const fmt = (n: number | undefined, d = 0): string =>
  n === undefined || !Number.isFinite(n) ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** Milliseconds: two decimals below 10 ms, whole ones above; '-' when missing. */
export const ms = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(0));

const tty = process.stderr.isTTY;
let lastLine = 0;

/**
 * A progress line on stderr: rewritten in place on a terminal; elsewhere (a log, a test) one
 * line every 3 s at most, and every final line.
 */
export function progress(text: string, final = false): void {
  if (tty) {
    process.stderr.write(`\r\x1b[K${text}${final ? '\n' : ''}`);
  } else if (final || Date.now() - lastLine > 3000) {
    lastLine = Date.now();
    process.stderr.write(`${text}\n`);
  }
}

/** A progress line of one labelled run, the label in a column of its own. */
export function status(label: string, text: string, final = false): void {
  progress(`  ${label.padEnd(34)} ${text}`, final);
}

/** Where an HTTP run is: elapsed of total seconds, current rate, increments, the server's RSS. */
export function httpProgress(label: string, at: { elapsedS: number; rate: number }, run: { totalS: number; warmupS: number; perRequest: number; rssMb: number }): void {
  const per = run.perRequest;
  status(
    label,
    `${fmt(Math.min(at.elapsedS, run.totalS), 0).padStart(3)}/${run.totalS} s  ${fmt(at.rate).padStart(7)} req/s` +
      `${per > 0 && per !== 1 ? `  ${fmt(at.rate * per).padStart(8)} incr/s` : ''}  rss ${fmt(run.rssMb)} MB` +
      (at.elapsedS < run.warmupS ? '  (warm-up)' : ''),
  );
}

/** The closing line of an HTTP run: its figures, errors and any refused share of increments. */
export function httpDone(label: string, f: Figures, perRequest: number): void {
  status(
    label,
    `${fmt(f.rps).padStart(7)} req/s${f.incrPerS !== undefined && perRequest !== 1 ? ` (${fmt(f.incrPerS)} incr/s)` : ''}` +
      `  p50 ${ms(f.p50)} p99 ${ms(f.p99)} max ${ms(f.max)} ms  peak rss ${fmt(f.peakRssMb)} MB  cpu ${fmt(f.cpuUsPerReq)} µs/req${f.errors ? `  ERRORS ${f.errors}` : ''}` +
      (f.acceptedShare !== undefined ? `  only ${(f.acceptedShare * 100).toFixed(1)}% of increments applied` : ''),
    true,
  );
}

/** Retained bytes per item, main heap / whole process: '1,234 / 2,345'; '-' when not measured. */
export const perItemCell = (m: MemoryPerItem | undefined): string => (m ? `${fmt(m.heapBytes)} / ${fmt(m.rssBytes)}` : '-');

/** The progress line of a memory measurement. */
export function memoryLine(m: MemoryPerItem): string {
  return `retained per ${m.unit} (after gc, ${fmt(m.items)} ${m.unit === 'counter' ? 'counters' : 'subscriptions'}): heap ${fmt(m.heapBytes)} B, rss ${fmt(m.rssBytes)} B; rss after gc ${fmt(m.after.rssMb)} MB, heap ${fmt(m.after.heapUsedMb)} MB`;
}

/** The results: a figures table (service, baseline, ratio) and a targets table. */
export function table(rows: Row[]): string {
  const head = ['scenario', 'service req/s', 'incr/s', 'p50 ms', 'p99 ms', 'max ms', 'RSS MB', 'B/item heap / RSS', 'CPU µs/req', 'baseline req/s', 'p50', 'p99', 'max', 'RSS', 'CPU', 'ratio'];
  const body = rows.map((r) => [
    r.scenario,
    fmt(r.service?.rps),
    r.service?.incrPerS !== undefined ? fmt(r.service.incrPerS) : '-',
    ms(r.service?.p50),
    ms(r.service?.p99),
    ms(r.service?.max),
    fmt(r.service?.peakRssMb),
    perItemCell(r.service?.memory),
    fmt(r.service?.cpuUsPerReq),
    fmt(r.baseline?.rps),
    ms(r.baseline?.p50),
    ms(r.baseline?.p99),
    ms(r.baseline?.max),
    fmt(r.baseline?.peakRssMb),
    fmt(r.baseline?.cpuUsPerReq),
    r.ratio !== undefined ? r.ratio.toFixed(2) : '-',
  ]);
  const targets = rows.map((r) => [r.scenario, r.target, r.measured, r.met === null ? '-' : r.met ? 'met' : 'MISSED']);
  return `${md(head, body, true)}\n\n${md(['scenario', 'target', 'measured', 'result'], targets, false)}`;
}

/** A Markdown table; numeric tables right-align every column but the first. */
function md(head: string[], body: string[][], numeric: boolean): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const right = (i: number) => numeric && i > 0;
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right(i) ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join(' | ')} |`;
  return [line(head), `| ${w.map((n, i) => (right(i) ? `${'-'.repeat(n - 1)}:` : '-'.repeat(n))).join(' | ')} |`, ...body.map(line)].join('\n');
}

/** The machine the figures come from, recorded in the JSON (a run is only comparable on it). */
export type Machine = ReturnType<typeof machine>;

/** This machine: CPUs, memory, Node, OS and its load when the run started. */
export function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAvgAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

/** The first stderr line of a run: what runs, how long, on what, with which durability. */
export function header(o: Options, m: Machine): string {
  return (
    `bench: ${o.scenarios.join(', ')}; ${o.durationS} s runs after ${o.warmupS} s warm-up, ${o.connections} connections; ` +
    `${m.cpus} x ${m.cpuModel}, node ${m.node}; durable acks (COUNTER_SQLITE_SYNCHRONOUS=FULL)\n`
  );
}

/** Writes the JSON results: date, wall seconds, machine, the options as parsed, and the rows. */
export function writeJson(o: Options, m: Machine, startedMs: number, rows: Row[]): void {
  fs.mkdirSync(path.dirname(o.json), { recursive: true });
  fs.writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), seconds: Math.round((Date.now() - startedMs) / 1000), machine: m, options: o, rows }, null, 2));
}
