import cassandra from 'cassandra-driver';

const { RetryPolicy } = cassandra.policies.retry;
type OperationInfo = Parameters<cassandra.policies.retry.RetryPolicy['onUnavailable']>[0];
type Decision = ReturnType<cassandra.policies.retry.RetryPolicy['onUnavailable']>;
type Consistency = cassandra.types.consistencies;

/**
 * Up to `retries` retries of a query, each on the next node of the query plan: what lets the
 * service ride out a node that dies or stalls. The driver consults onWriteTimeout and
 * onRequestError (timeout, lost connection, overloaded) only for statements marked
 * idempotent, so an LWT (isIdempotent: false: its second run could answer "not applied" for
 * its own first) is never run twice; every other statement of the store is idempotent (rows
 * keyed by the idempotency token, explicit write timestamps, no counter columns).
 * Unavailable and read timeouts are retried for every statement: an unavailable coordinator
 * applied nothing, and a read changes nothing.
 */
export class NextNodeRetryPolicy extends RetryPolicy {
  constructor(private readonly retries: number) {
    super();
  }

  /** The same consistency, on the next node. */
  private next(info: OperationInfo, consistency: Consistency): Decision {
    return info.nbRetry < this.retries ? this.retryResult(consistency, false) : this.rethrowResult();
  }

  override onUnavailable(info: OperationInfo, consistency: Consistency): Decision {
    return this.next(info, consistency);
  }

  override onReadTimeout(info: OperationInfo, consistency: Consistency): Decision {
    return this.next(info, consistency);
  }

  override onWriteTimeout(info: OperationInfo, consistency: Consistency): Decision {
    return this.next(info, consistency);
  }

  override onRequestError(info: OperationInfo, consistency: Consistency): Decision {
    return this.next(info, consistency);
  }
}
