/** The row most comparison scenarios yield: a service-vs-baseline run judged by its ratio. */
import type { Comparison, Row } from './types';

/** The row of a comparison judged by its ratio alone: met when service/baseline >= min. */
export const ratioRow = (scenario: string, r: Comparison, min: number): Row => ({
  scenario,
  ...r,
  measured: `ratio ${r.ratio.toFixed(2)}`,
  target: `ratio >= ${min}`,
  met: r.ratio >= min,
});
