/**
 * The exact count check after every load run on the service: reads back every counter the
 * run wrote (fresh counters of the run's own, so each started at 0) and holds them to what
 * the load agent sent and saw acknowledged (bench/ledger.ts). EVENTUAL counts converge, so it
 * polls until they do, for at most CONVERGE_TIMEOUT_MS; a count that never reaches what was
 * acknowledged (a lost write) or passes what was sent (a doubled one) fails the scenario.
 */
import type { Ledger } from './ledger';

const CONVERGE_TIMEOUT_MS = 120_000;
const POLL_MS = 500;
const NAMES_PER_READ = 500;
const READS_IN_FLIGHT = 4;
const READ = 'query Check($ns: String!, $names: [String!]!) { counters(namespace: $ns, names: $names) { name count } }';

/** What the check established. */
export interface CountCheck {
  counters: number;
  /** Increments counted, summed over the run's counters. */
  increments: number;
  /** Every counter equal to what was sent to it (all acknowledged); else the sum checked against the acknowledgements. */
  exact: boolean;
  waitedMs: number;
}

async function readCounts(url: string, namespace: string, names: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const chunks: string[][] = [];
  for (let i = 0; i < names.length; i += NAMES_PER_READ) chunks.push(names.slice(i, i + NAMES_PER_READ));
  const worker = async (): Promise<void> => {
    for (let c = chunks.pop(); c; c = chunks.pop()) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: READ, variables: { ns: namespace, names: c } }) });
      const body = (await res.json()) as { data?: { counters: { name: string; count: string }[] }; errors?: unknown };
      if (!body.data) throw new Error(`count check read failed: ${JSON.stringify(body.errors)}`);
      for (const { name, count } of body.data.counters) out.set(name, Number(count));
    }
  };
  await Promise.all(Array.from({ length: READS_IN_FLIGHT }, worker));
  return out;
}

export async function verifyCounts(url: string, namespace: string, ledger: Ledger): Promise<CountCheck> {
  const started = Date.now();
  const names = Object.keys(ledger.sent);
  const counts = new Map<string, number>();
  // Counters not yet at their final value (exact) or not yet settled within bounds.
  let open = names;
  for (;;) {
    for (const [name, n] of await readCounts(url, namespace, open)) counts.set(name, n);
    const doubled = open.filter((n) => counts.get(n)! > ledger.sent[n]!);
    if (doubled.length > 0) {
      throw new Error(`count check: ${doubled.length} counter(s) count more than was sent, e.g. ${doubled.slice(0, 3).map((n) => `${n} ${counts.get(n)} > ${ledger.sent[n]}`).join(', ')}`);
    }
    let total = 0;
    for (const n of names) total += counts.get(n) ?? 0;
    if (ledger.complete && total > ledger.acked) {
      throw new Error(`count check: ${total} increments counted, but only ${ledger.acked} were acknowledged (refused items must change nothing)`);
    }
    const sentTotal = Object.values(ledger.sent).reduce((a, b) => a + b, 0);
    if (total > sentTotal) throw new Error(`count check: ${total} increments counted, more than the ${sentTotal} sent`);
    // Exact: each counter at what was sent to it. Else the sum at what was acknowledged
    // (exactly, when every request was answered: no count moves past it, checked above).
    open = ledger.exact ? open.filter((n) => counts.get(n) !== ledger.sent[n]) : total >= ledger.acked ? [] : open;
    if (open.length === 0) return { counters: names.length, increments: total, exact: ledger.exact, waitedMs: Date.now() - started };
    if (Date.now() - started > CONVERGE_TIMEOUT_MS) {
      const sample = open.slice(0, 3).map((n) => `${n} ${counts.get(n)} of ${ledger.sent[n]} sent`);
      throw new Error(`count check: after ${CONVERGE_TIMEOUT_MS} ms, ${total} increments counted of ${ledger.acked} acknowledged; ${open.length} counter(s) short, e.g. ${sample.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
