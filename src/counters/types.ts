import type { CounterModel } from '../model';

/** The operations' inputs and results, as the resolvers hand them to the counter service. */

export interface TokenInput {
  token: string;
  generationTime: Date;
}

export interface AddInput {
  namespace: string;
  name: string;
  delta: bigint;
  idempotencyToken?: TokenInput | null;
}

export interface ClearInput {
  namespace: string;
  name: string;
  idempotencyToken?: TokenInput | null;
}

export interface WriteResult {
  counter: CounterModel;
  /** False for a retry of a token already applied; undefined when not asked (see AddOptions). */
  applied: boolean | undefined;
}

/** What a writer asks of an add beyond storing it. */
export interface AddOptions {
  /**
   * Whether the result must say if the write was a retry (`applied`). False lets a store skip
   * the look-up (on Cassandra, a read of the event row per write); default true.
   */
  applied?: boolean;
}
