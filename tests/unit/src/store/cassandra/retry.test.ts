import cassandra from 'cassandra-driver';
import { peerPort } from '../../../../../src/store/cassandra/connect';
import { NextNodeRetryPolicy } from '../../../../../src/store/cassandra/retry';

const LQ = cassandra.types.consistencies.localQuorum;
const info = (nbRetry: number) => ({ query: 'q', executionOptions: {} as never, nbRetry });

describe('NextNodeRetryPolicy', () => {
  const p = new NextNodeRetryPolicy(2);
  const all = [
    (n: number) => p.onUnavailable(info(n), LQ),
    (n: number) => p.onReadTimeout(info(n), LQ),
    (n: number) => p.onWriteTimeout(info(n), LQ),
    (n: number) => p.onRequestError(info(n), LQ),
  ];
  const retry = p.retryResult(LQ, false);
  const rethrow = p.rethrowResult();

  it.each(all.map((f, i) => [i, f] as const))('retries %s on the next node at the same consistency, up to its budget', (_i, f) => {
    expect(retry).toMatchObject({ consistency: LQ, useCurrentHost: false });
    expect(f(0)).toEqual(retry);
    expect(f(1)).toEqual(retry);
    expect(f(2)).toEqual(rethrow);
    expect(rethrow.decision).not.toBe(retry.decision);
  });

  it('with a budget of 0, rethrows at once', () => {
    expect(new NextNodeRetryPolicy(0).onWriteTimeout(info(0), LQ)).toEqual(p.rethrowResult());
  });
});

describe('peerPort', () => {
  it('is the contact points\' common port (9042 when none is given), none when they differ', () => {
    expect(peerPort(['127.0.0.1:9044', '127.0.0.2:9044'])).toBe(9044);
    expect(peerPort(['a', 'b:9042'])).toBe(9042);
    expect(peerPort(['a:9042', 'b:9043'])).toBeUndefined();
  });
});
