import { parentPort } from 'node:worker_threads';
import type { ThreadReply } from './thread';

/**
 * A thread's side of ThreadClient: runs each request in arrival order (synchronously, as
 * better-sqlite3 is) and answers it with its result or its error; after `close` it stops
 * listening, so the thread ends.
 */
export function serveRequests<Op extends { op: string }>(run: (req: Op) => unknown): void {
  const port = parentPort!;
  port.on('message', (req: Op & { id: number }) => {
    let reply: ThreadReply;
    try {
      reply = { id: req.id, result: run(req) };
    } catch (err) {
      reply = { id: req.id, error: { message: (err as Error).message ?? String(err), stack: (err as Error).stack } };
    }
    port.postMessage(reply);
    if (req.op === 'close') port.close();
  });
}
