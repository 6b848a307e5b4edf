/**
 * A load agent: a child process of the bench runner (never of the server) that runs one
 * task and reports back over IPC (agents/protocol.ts). Tasks, one file each in agents/:
 *  - http: autocannon against /graphql with a workload, after a warm-up; latency per response
 *    is recorded here (sub-millisecond, not autocannon's 1 ms histogram buckets).
 *  - probe: convergence lag. Writes to its own probe counters and waits, on a counterUpdated
 *    subscription, for the exact count that includes each write; lag = ack -> seen.
 *  - subscribers: N websocket clients on one counter; a writer adds to it at intervals;
 *    delivery = write ack -> each subscriber seeing a value that includes the write.
 *  - cql: the Cassandra baseline, raw cassandra-driver inserts of the service's event rows.
 */
import { runCql } from './agents/cql';
import { runHttp } from './agents/http';
import { runProbe } from './agents/probe';
import { sendLast, type Task } from './agents/protocol';
import { runSubscribers } from './agents/subscribers';

process.once('message', (task: Task) => {
  const run =
    task.type === 'http' ? runHttp(task) : task.type === 'probe' ? runProbe(task) : task.type === 'cql' ? runCql(task) : runSubscribers(task);
  run.then(
    async (result) => {
      await sendLast({ type: 'result', result });
      process.disconnect?.();
      setTimeout(() => process.exit(0), 200).unref();
    },
    async (err: Error) => {
      await sendLast({ type: 'error', message: err.stack ?? String(err) });
      setTimeout(() => process.exit(1), 200).unref();
    },
  );
});
