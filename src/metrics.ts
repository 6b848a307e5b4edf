import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Requests the Cassandra store sent (the driver's request tracker counts every QUERY, EXECUTE
 * and BATCH, retries and page fetches included), by statement (its name in the store, such
 * as `append insert`, else verb and table; a batch as `batch(<its statements>)`) and outcome. Process-wide, because the store is built before and apart from the instance
 * metrics: every instance registry below serves it, so several instances in one process
 * (tests) see their summed requests.
 */
export const cassandraRequests = new Counter({
  name: 'cassandra_requests_total',
  help: 'Requests sent to Cassandra by the store, by statement and outcome (ok, error); one batch is one request.',
  labelNames: ['statement', 'outcome'] as const,
  registers: [],
});

/**
 * Prometheus metrics of one service instance, served at GET /metrics. One registry per
 * instance (not the global one) so that tests can run several instances in one process.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registry.registerMetric(cassandraRequests);
  const m = {
    registry,
    storeCalls: new Counter({
      name: 'counter_store_calls_total',
      help: 'Calls into the event/roll-up store, by operation (one batched call may cover many counters).',
      labelNames: ['op'] as const,
      registers: [registry],
    }),
    storeCounters: new Counter({
      name: 'counter_store_counters_total',
      help: 'Counters covered by store calls, by operation.',
      labelNames: ['op'] as const,
      registers: [registry],
    }),
    writes: new Counter({
      name: 'counter_writes_total',
      help: 'Accepted writes by mode and outcome (applied, duplicate of an earlier token, unchecked: stored without looking for an earlier copy, superseded: a BEST_EFFORT add at or before a clear, unconfirmed).',
      labelNames: ['mode', 'outcome'] as const,
      registers: [registry],
    }),
    rollupOffers: new Counter({
      name: 'rollup_queue_offers_total',
      help: 'Roll-up events offered to the queues: queued, coalesced into a waiting entry, or dropped (queue full).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    rollupCounters: new Counter({
      name: 'rollup_counters_total',
      help: 'Counters rolled up.',
      registers: [registry],
    }),
    rollupCheckpoints: new Counter({
      name: 'rollup_checkpoint_writes_total',
      help: 'Checkpoint rows written to the roll-up store.',
      registers: [registry],
    }),
    rollupBatchSeconds: new Histogram({
      name: 'rollup_batch_duration_seconds',
      help: 'Duration of one roll-up batch.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    rollupLagSeconds: new Histogram({
      name: 'rollup_lag_seconds',
      help: 'From the first write or read offering a counter to the roll-up to its converged value being published (roll-ups from sweeps are not observed).',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    rollupErrors: new Counter({
      name: 'rollup_errors_total',
      help: 'Roll-up batches that failed (their counters are retried).',
      registers: [registry],
    }),
    rollupQueueDepth: new Gauge({
      name: 'rollup_queue_depth',
      help: 'Counters waiting in the roll-up queues.',
      registers: [registry],
      collect() {
        this.set(m.queueDepth());
      },
    }),
    subscriptions: new Gauge({
      name: 'counter_subscriptions_active',
      help: 'Active counterUpdated subscriptions in this instance.',
      registers: [registry],
    }),
    bestEffortEntries: new Gauge({
      name: 'best_effort_cache_entries',
      help: 'Entries of the in-memory BEST_EFFORT cache, by kind (counters, idempotency records, clear watermarks); bounded by BEST_EFFORT_MAX_COUNTERS and BEST_EFFORT_MAX_IDEMPOTENCY_KEYS.',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        for (const [kind, n] of Object.entries(m.bestEffortSizes())) this.set({ kind }, n);
      },
    }),
    bestEffortEvictions: new Counter({
      name: 'best_effort_cache_evictions_total',
      help: 'Entries the in-memory BEST_EFFORT cache dropped to make room, by kind (an evicted counter restarts from 0, as an expired one does).',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    graphqlErrors: new Counter({
      name: 'graphql_errors_total',
      help: 'GraphQL errors answered, on every transport (HTTP, websocket, callbacks), by extensions.code: refusals (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, ...) and failures (UNAVAILABLE, INTERNAL_SERVER_ERROR).',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    authRefusals: new Counter({
      name: 'auth_refusals_total',
      help: 'Credential checks that refused a caller (missing, invalid or expired token: UNAUTHENTICATED; key source unreachable: UNAVAILABLE), on every transport.',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: 'connections_refused_total',
      help: 'Connections refused before any request ran: tcp (past HTTP_MAX_CONNECTIONS), websocket_cap (past WS_MAX_CONNECTIONS), websocket_origin (an Origin not allowed).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    cassandraRequests,
    /** Set by the roll-up sidecar when it starts. */
    queueDepth: (): number => 0,
    /** Set by the backends when the in-memory BEST_EFFORT cache runs (none with Redis). */
    bestEffortSizes: (): Record<string, number> => ({}),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
