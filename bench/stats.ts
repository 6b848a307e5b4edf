/** Latency samples (ms) kept in a growable Float64Array; exact percentiles by sorting once. */
export class Samples {
  private buf = new Float64Array(1 << 16);
  n = 0;

  add(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }

  summary(): LatencySummary {
    const s = this.buf.subarray(0, this.n).slice().sort();
    const at = (q: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!);
    return { count: s.length, p50: at(0.5), p99: at(0.99), max: s.length === 0 ? NaN : s[s.length - 1]! };
  }
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}
