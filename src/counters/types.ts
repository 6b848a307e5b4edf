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
  /** False for a retry of a token already applied. */
  applied: boolean;
}
