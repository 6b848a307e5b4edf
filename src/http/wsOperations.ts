/** RFC-style close code of graphql-transport-ws: a subscribe for an id already in use. */
export const SUBSCRIBER_ALREADY_EXISTS = 4409;

interface Operation {
  /** The client sent `complete` for it; graphql-ws may still be running it down. */
  completed: boolean;
  /** A `subscribe` for the same id that arrived after that `complete`, held until it ends. */
  held?: string;
}

/**
 * Orders one connection's `subscribe`/`complete` messages per operation id before graphql-ws
 * sees them, and counts the operations graphql-ws is running.
 *
 * Why: graphql-ws (6.4.2) marks an operation as wanted only by its id's presence in
 * `ctx.subscriptions`. `complete` deletes the id at once, while the earlier `subscribe` may
 * still be resolving (context, first read) or may still be sending its last frame to a slow
 * client. A new `subscribe` with the same id re-adds the key, so the earlier operation finds
 * "its" id present, registers its iterator, and is then overwritten by the new one: nobody
 * holds it any more, neither `complete` nor the socket's close returns it, and its pub/sub
 * listener lives for ever, outside the per-connection count. Here an id stays busy until
 * graphql-ws's handler for it has fully returned: a `subscribe` reusing a completed id waits
 * for that (at most one waits per id; a `complete` cancels it), so graphql-ws only ever sees
 * an id reused after it let go of it. `active` counts handlers still running, which is what
 * the per-connection cap has to bound (a completed operation still holds its resources until
 * its handler returns).
 */
export class OperationGate {
  private readonly ops = new Map<string, Operation>();
  private running = 0;
  private closed = false;

  constructor(
    /** Hands one raw message to graphql-ws; resolves when graphql-ws is done with it. */
    private readonly deliver: (raw: string) => Promise<void>,
    /** Closes the connection (a protocol violation). */
    private readonly close: (code: number, reason: string) => void,
    /**
     * A handler failed (graphql-ws threw). `id` is the operation's when it was a subscribe;
     * `completed` when the client had already completed it (an answer for that id would be
     * taken for a newer operation reusing it).
     */
    private readonly failed: (err: unknown, id: string | undefined, completed: boolean) => void,
  ) {}

  /** Subscribe handlers graphql-ws is running on this connection (completed ones included until they end). */
  get active(): number {
    return this.running;
  }

  receive(raw: string): void {
    if (this.closed) return;
    const msg = peek(raw);
    if (!msg) return this.pass(raw, undefined);
    const op = this.ops.get(msg.id);
    if (msg.type === 'complete') {
      if (!op) return this.pass(raw, undefined);
      if (!op.completed) {
        op.completed = true;
        return this.pass(raw, undefined);
      }
      op.held = undefined; // cancels the held subscribe, which never started
      return;
    }
    // subscribe
    if (!op || !op.completed) return this.start(msg.id, raw); // a live duplicate: graphql-ws closes 4409
    if (op.held !== undefined) return this.close(SUBSCRIBER_ALREADY_EXISTS, `Subscriber for ${msg.id.slice(0, 64)} already exists`);
    op.held = raw;
  }

  /** The socket closed: held subscribes are dropped (graphql-ws returns the running ones). */
  dispose(): void {
    this.closed = true;
    for (const op of this.ops.values()) op.held = undefined;
  }

  private start(id: string, raw: string): void {
    const fresh = !this.ops.has(id);
    const op: Operation = { completed: false };
    if (fresh) this.ops.set(id, op);
    this.running++;
    this.deliver(raw)
      .catch((err: unknown) => this.failed(err, id, op.completed))
      .finally(() => {
        this.running--;
        if (this.ops.get(id) !== op) return;
        this.ops.delete(id);
        if (op.held !== undefined && !this.closed) this.start(id, op.held);
      });
  }

  private pass(raw: string, id: string | undefined): void {
    this.deliver(raw).catch((err: unknown) => this.failed(err, id, false));
  }
}

/** The id and type of a subscribe/complete message, without judging the rest (graphql-ws does). */
function peek(raw: string): { type: 'subscribe' | 'complete'; id: string } | undefined {
  // Parsed in full: a pre-filter on the text would miss an escaped "subscrib\u0065".
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof msg !== 'object' || msg === null) return undefined;
  const { type, id } = msg as { type?: unknown; id?: unknown };
  if ((type !== 'subscribe' && type !== 'complete') || typeof id !== 'string' || id === '') return undefined;
  return { type, id };
}
