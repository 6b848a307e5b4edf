import type { Socket } from 'node:net';
import type { DocumentNode, ExecutionArgs } from 'graphql';
import type { WebSocket } from 'ws';
import type { Tappable } from '../stream';

/**
 * One value of a subscription's source as the JSON text of its `next` payload (executed
 * with the value as the root, errors formatted), or a promise of it.
 */
export type Render = (args: ExecutionArgs, value: unknown) => string | Promise<string>;

const NONE: unique symbol = Symbol('no value');
const TEXT = { binary: false };
/** The rest of a `next` frame after its payload. */
const CLOSE = '}';

/**
 * The TCP socket under a `ws` WebSocket, when a frame written there goes out in order with
 * ws's own: its sender idle (state DEFAULT, nothing queued: without permessage-deflate and
 * blobs it always is). ws 8's private fields (ws is pinned); anything else, ws.send.
 */
function rawSocket(ws: WebSocket): Socket | undefined {
  const w = ws as unknown as { _socket?: Socket | null; _sender?: { _state?: number; _queue?: unknown[] } | null };
  const sender = w._sender;
  if (!w._socket || !sender || sender._state !== 0 || (sender._queue?.length ?? 0) > 0) return undefined;
  return w._socket;
}

/**
 * One unmasked, final text frame (RFC 6455 5.2) of `prefix` then `payload`, in one buffer:
 * one write per frame, where ws.send makes a header and a body (a writev of two, through
 * cork/uncork) and re-encodes a string it is given.
 */
export function textFrame(prefix: Buffer, payload: Buffer): Buffer {
  const length = prefix.length + payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length % 2 ** 32, 6);
  }
  prefix.copy(frame, header);
  payload.copy(frame, header + prefix.length);
  return frame;
}

/**
 * The subscribers of one source (a counter's feed) that watch it with the same operation:
 * the same document, operation name, variables and scopes (`sharing`). Each value is
 * rendered once for all of them. It remembers the last two values rendered: a subscriber's
 * own first read and an expiry's EXPIRED come between the shared updates.
 */
class Channel {
  members = 0;
  private v1: unknown = NONE;
  private p1: Buffer | Promise<Buffer> = Buffer.alloc(0);
  private v2: unknown = NONE;
  private p2: Buffer | Promise<Buffer> = Buffer.alloc(0);

  constructor(
    readonly args: ExecutionArgs,
    private readonly render: Render,
    readonly release: () => void,
  ) {}

  /** The payload's bytes and the frame's closing brace, shared by every member's frame. */
  payload(value: unknown): Buffer | Promise<Buffer> {
    if (value === this.v1) return this.p1;
    if (value === this.v2) return this.p2;
    const text = this.render(this.args, value);
    const p = typeof text === 'string' ? Buffer.from(text + CLOSE) : text.then((t) => Buffer.from(t + CLOSE));
    this.v2 = this.v1;
    this.p2 = this.p1;
    this.v1 = value;
    this.p1 = p;
    return p;
  }
}

/**
 * One subscriber: writes the channel's payloads to its socket as graphql-ws `next` frames
 * (the payload text inside the id's own prefix), one frame in flight at a time, the newest
 * value waiting meanwhile (conflation: a stalled client costs one unsent value, never a
 * backlog, and gets the newest value once it reads again; a value is rendered only when it
 * is about to be written, so a stalled client costs no executions either). The `ws` send
 * callback comes once the frame was handed to the kernel, which is when graphql-ws would
 * have pulled the next value. It is also the iterator graphql-ws holds for the operation: it
 * yields nothing (the frames bypass graphql-ws) and ends once the stream has ended and its
 * last value was written, so that graphql-ws sends `complete` after it; graphql-ws's
 * return() (a `complete` from the client, the socket's close) ends the stream.
 */
class Member implements AsyncIterableIterator<never> {
  private readonly prefix: Buffer;
  /** A frame in flight or a value being rendered: the next value waits. */
  private busy = false;
  private waiting: unknown = NONE;
  /** The stream ended: finish once the waiting value is written. */
  private ending = false;
  private finished = false;
  private failure: unknown;
  private waiter: { resolve: (r: IteratorResult<never>) => void; reject: (err: unknown) => void } | undefined;
  private readonly sent = (err?: Error | null): void => {
    this.busy = false;
    if (err || this.finished) return; // a failed socket closes, which ends the operation
    this.drain();
  };

  constructor(
    private readonly socket: WebSocket,
    id: string,
    private readonly channel: Channel,
    private readonly stream: Tappable<unknown>,
  ) {
    this.prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  }

  offer(value: unknown): void {
    if (this.finished) return;
    if (this.busy) {
      this.waiting = value;
      return;
    }
    this.send(value);
  }

  /** The stream ended by itself (an expiry, after its EXPIRED): the value still waiting goes out, then `complete`. */
  end(): void {
    if (this.finished) return;
    this.ending = true;
    if (!this.busy) this.drain();
  }

  next(): Promise<IteratorResult<never>> {
    if (this.finished) return this.failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<never>> {
    this.stop();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err: unknown): Promise<IteratorResult<never>> {
    this.stop();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private drain(): void {
    const value = this.waiting;
    if (value !== NONE) {
      this.waiting = NONE;
      return this.send(value);
    }
    if (this.ending) this.finish(undefined);
  }

  private send(value: unknown): void {
    const p = this.channel.payload(value);
    if (Buffer.isBuffer(p)) return this.write(p);
    this.busy = true;
    p.then(
      (text) => {
        this.busy = false;
        if (!this.finished) this.write(text);
      },
      (err: unknown) => this.stop(err),
    );
  }

  private write(payload: Buffer): void {
    // A closed socket: graphql-ws returns its operations, which stops this one.
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.busy = true;
    const raw = rawSocket(this.socket);
    if (raw) raw.write(textFrame(this.prefix, payload), this.sent);
    else this.socket.send(Buffer.concat([this.prefix, payload]), TEXT, this.sent);
  }

  /** Ended from this side (graphql-ws, or a failed rendering): nothing more is written. */
  private stop(err?: unknown): void {
    if (this.finished) return;
    this.waiting = NONE;
    this.finish(err);
    void this.stream.return?.();
  }

  private finish(err: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = err;
    this.channel.release();
    const w = this.waiter;
    this.waiter = undefined;
    if (!w) return;
    if (err === undefined) w.resolve({ value: undefined, done: true });
    else w.reject(err);
  }
}

/**
 * The websocket's subscription deliveries, shared: one execution and one serialised payload
 * per value for every subscriber of the same source watching it with the same operation
 * (document, operation name, variables, scopes), each subscriber's frame that payload inside
 * its own id, written straight to its socket. Before, graphql-js executed and graphql-ws
 * serialised every value once per subscriber, through a chain of promises each: with 10,000
 * subscribers of a counter that was most of the CPU and the garbage of an update.
 *
 * What stays per subscriber: its checks at subscribe (scopes, operation limits, the
 * connection's expiry: the stream's own), its own first value (its read), its conflation
 * and back-pressure (Member), its expiry (its stream ends with EXPIRED, rendered as the
 * UNAUTHENTICATED error by the field resolver), and its `complete`.
 */
export class WsFanOut {
  private readonly channels = new Map<object, Map<DocumentNode, Map<string, Channel>>>();

  constructor(private readonly render: Render) {}

  /**
   * Delivers `stream` to operation `id` on `socket` from now on; returns the iterator for
   * graphql-ws to hold. `sharing` names what else, besides the operation and its variables,
   * the rendering depends on (the caller's scopes).
   */
  deliver(stream: Tappable<unknown>, args: ExecutionArgs, sharing: string, socket: WebSocket, id: string): AsyncIterableIterator<never> {
    const member = new Member(socket, id, this.channel(stream.source, args, sharing), stream);
    stream.tap(
      (value) => member.offer(value),
      () => member.end(),
    );
    return member;
  }

  /** Channels alive (for tests): one per source and operation watched. */
  get size(): number {
    let n = 0;
    for (const byDoc of this.channels.values()) for (const byKey of byDoc.values()) n += byKey.size;
    return n;
  }

  private channel(source: object, args: ExecutionArgs, sharing: string): Channel {
    const key = `${args.operationName ?? ''}\u0000${sharing}\u0000${JSON.stringify(args.variableValues ?? null)}`;
    let byDoc = this.channels.get(source);
    if (!byDoc) this.channels.set(source, (byDoc = new Map()));
    let byKey = byDoc.get(args.document);
    if (!byKey) byDoc.set(args.document, (byKey = new Map()));
    let channel = byKey.get(key);
    if (!channel) {
      const docs = byDoc;
      const keys = byKey;
      const created = new Channel(args, this.render, () => {
        if (--created.members > 0 || keys.get(key) !== created) return;
        keys.delete(key);
        if (keys.size > 0) return;
        docs.delete(args.document);
        if (docs.size === 0 && this.channels.get(source) === docs) this.channels.delete(source);
      });
      byKey.set(key, (channel = created));
    }
    channel.members++;
    return channel;
  }
}
