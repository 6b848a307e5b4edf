/**
 * What a load agent sent and what the server acknowledged, for the exact count check that
 * follows every run on the service (bench/verify.ts): a benchmark that loses or doubles
 * writes is a failure, not a result.
 *
 * - `sent`: per counter, the increments of every request sent (an upper bound: a write
 *   cannot count more than once).
 * - `acked`: the increments the responses acknowledged (addCount applied, or addCounts'
 *   acceptedCount), in total. When every request got its response, the counters' sum must
 *   equal it exactly (refused items are not applied); else it is a lower bound.
 * - `exact`: when every increment sent was acknowledged, each counter must equal `sent`.
 *   (Responses are not matched to their requests: autocannon gives a response's body but
 *   not which request it answers, so per-counter exactness comes from "all acknowledged".)
 */
export interface Ledger {
  sent: Record<string, number>;
  acked: number;
  /** Every request got its response (acked is then the exact total). */
  complete: boolean;
  /** Every increment sent was acknowledged (each counter must then equal sent). */
  exact: boolean;
}

export class LedgerBook {
  private readonly sent = new Map<string, number>();
  private sentTotal = 0;
  private acked = 0;
  private requests = 0;
  private responses = 0;

  /** A request with these writes was sent. */
  sentWrites(writes: readonly string[]): void {
    this.requests++;
    for (const w of writes) this.sent.set(w, (this.sent.get(w) ?? 0) + 1);
    this.sentTotal += writes.length;
  }

  /** A response: the increments it acknowledges. */
  answered(status: number, body: string): void {
    this.responses++;
    if (status === 200) this.acked += acceptedOf(body);
  }

  toJSON(): Ledger {
    // Requests without a response (timed out, a connection error, or in flight when the load
    // generator stopped) may or may not have been applied: then only the bounds hold.
    const complete = this.responses === this.requests;
    return { sent: Object.fromEntries(this.sent), acked: this.acked, complete, exact: complete && this.acked === this.sentTotal };
  }
}

/**
 * Increments of one response the server accepted: addCount's `applied: true` is 1;
 * addCounts' `acceptedCount`; a read, or a refusal, is 0.
 */
function acceptedOf(body: string): number {
  const bulk = /"acceptedCount":(\d+)/.exec(body);
  if (bulk) return Number(bulk[1]);
  return body.includes('"applied":true') ? 1 : 0;
}
