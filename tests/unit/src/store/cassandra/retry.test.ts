import cassandra from 'cassandra-driver';
import { peerPort } from '../../../../../src/store/cassandra/connect';
import { NextNodeRetryPolicy } from '../../../../../src/store/cassandra/retry';

const { retryDecision } = cassandra.policies.retry.RetryPolicy;
const ONE = cassandra.types.consistencies.localQuorum;
const info = (nbRetry: number) => ({ query: 'q', executionOptions: {} as never, nbRetry });

describe('NextNodeRetryPolicy', () => {
  const p = new NextNodeRetryPolicy(2);
  const all = [
    (n: number) => p.onUnavailable(info(n), ONE, 2, false),
    (n: number) => p.onReadTimeout(info(n), ONE, 1, 2, false),
    (n: number) => p.onWriteTimeout(info(n), ONE, 1, 2, 'UNLOGGED_BATCH'),
    (n: number) => p.onRequestError(info(n), ONE, new Error('socket')),
  ];

  it.each(all.map((f, i) => [i, f] as const))('retries %s on the next node at the same consistency, up to its budget', (_i, f) => {
    expect(f(0)).toMatchObject({ decision: retryDecision.retry, consistency: ONE, useCurrentHost: false });
    expect(f(1)).toMatchObject({ decision: retryDecision.retry, useCurrentHost: false });
    expect(f(2)).toMatchObject({ decision: retryDecision.rethrow });
  });

  it('with a budget of 0, rethrows at once', () => {
    expect(new NextNodeRetryPolicy(0).onWriteTimeout(info(0), ONE, 0, 2, 'SIMPLE')).toMatchObject({ decision: retryDecision.rethrow });
  });
});

describe('peerPort', () => {
  it('is the contact points\' common port (9042 when none is given), none when they differ', () => {
    expect(peerPort(['127.0.0.1:9044', '127.0.0.2:9044'])).toBe(9044);
    expect(peerPort(['a', 'b:9042'])).toBe(9042);
    expect(peerPort(['a:9042', 'b:9043'])).toBeUndefined();
  });
});
