import { parse, type ExecutionArgs } from 'graphql';
import ws, { type WebSocket } from 'ws';
import { textFrame, WsFanOut } from '../../../../src/http/wsFanOut';
import type { Tappable } from '../../../../src/stream';

/** A socket whose sends complete only when told (a client reading at its own pace). */
class FakeSocket {
  readonly OPEN = 1;
  readyState = 1;
  readonly frames: string[] = [];
  private readonly callbacks: ((err?: Error) => void)[] = [];
  send(data: Buffer, opts: { binary?: boolean }, cb?: (err?: Error) => void): void {
    expect(opts.binary).toBe(false);
    this.frames.push(String(data));
    if (cb) this.callbacks.push(cb);
  }
  /** The kernel took every frame sent so far. */
  flush(): void {
    for (const cb of this.callbacks.splice(0)) cb();
  }
  payloads(): unknown[] {
    return this.frames.map((f) => JSON.parse(f) as unknown);
  }
}

/** A tappable stream of a shared source, driven by the test. */
function stream(source: object) {
  let sink: ((v: unknown) => void) | undefined;
  let end: (() => void) | undefined;
  const s = {
    source,
    returned: false,
    tap: (k: (v: unknown) => void, e: () => void) => ((sink = k), (end = e)),
    push: (v: unknown) => sink!(v),
    end: () => end!(),
    next: () => Promise.resolve({ value: undefined, done: true as const }),
    return: () => {
      s.returned = true;
      end?.();
      return Promise.resolve({ value: undefined, done: true as const });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return s;
}

const docA = parse('subscription { a }');
const docB = parse('subscription { b }');
const args = (document = docA, variableValues: Record<string, unknown> = {}): ExecutionArgs => ({ schema: {} as never, document, variableValues });

function setup(render?: (a: ExecutionArgs, v: unknown) => string | Promise<string>) {
  const rendered: { doc: string; vars: unknown; value: unknown }[] = [];
  const fan = new WsFanOut(
    render ??
      ((a, v) => {
        rendered.push({ doc: a.document === docA ? 'A' : 'B', vars: a.variableValues, value: v });
        return JSON.stringify({ data: { v: String(v), doc: a.document === docA ? 'A' : 'B', vars: a.variableValues } });
      }),
  );
  return { fan, rendered };
}

const attach = (fan: WsFanOut, st: ReturnType<typeof stream>, a: ExecutionArgs, socket: FakeSocket, id: string, sharing = '') =>
  fan.deliver(st as unknown as Tappable<unknown>, a, sharing, socket as unknown as WebSocket, id);

describe('WsFanOut', () => {
  it('renders each value once per operation and variables, and frames it with each subscriber\'s id', () => {
    const { fan, rendered } = setup();
    const feed = {};
    const subs = [
      { a: args(docA, { x: 1 }), id: '1' },
      { a: args(docA, { x: 1 }), id: '2' },
      { a: args(docA, { x: 2 }), id: '1' },
      { a: args(docB, { x: 1 }), id: 'z"q' },
    ].map(({ a, id }) => {
      const socket = new FakeSocket();
      const st = stream(feed);
      attach(fan, st, a, socket, id);
      return { socket, st, id, a };
    });
    expect(fan.size).toBe(3);
    const value = { n: 1 };
    for (const s of subs) s.st.push(value);
    expect(rendered.map((r) => `${r.doc}${JSON.stringify(r.vars)}`)).toEqual(['A{"x":1}', 'A{"x":2}', 'B{"x":1}']);
    for (const s of subs) {
      expect(s.socket.payloads()).toEqual([{ id: s.id, type: 'next', payload: { data: { v: '[object Object]', doc: s.a.document === docA ? 'A' : 'B', vars: s.a.variableValues } } }]);
    }
    // graphql-ws's own framing, byte for byte.
    expect(subs[3]!.socket.frames[0]).toBe(JSON.stringify({ id: 'z"q', type: 'next', payload: { data: { v: '[object Object]', doc: 'B', vars: { x: 1 } } } }));
  });

  it('a different scope key or source is another channel', () => {
    const { fan } = setup();
    const feed = {};
    attach(fan, stream(feed), args(), new FakeSocket(), '1', 'read');
    attach(fan, stream(feed), args(), new FakeSocket(), '2', 'admin');
    attach(fan, stream({}), args(), new FakeSocket(), '3', 'read');
    expect(fan.size).toBe(3);
  });

  it('one frame in flight per subscriber: a slow one gets only the newest value next, the others every value, in order', () => {
    const { fan, rendered } = setup();
    const feed = {};
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    const sSlow = stream(feed);
    const sFast = stream(feed);
    attach(fan, sSlow, args(), slow, 's');
    attach(fan, sFast, args(), fast, 'f');
    for (let v = 1; v <= 5; v++) {
      sSlow.push(v);
      sFast.push(v);
      fast.flush();
    }
    expect(fast.payloads().map((p) => (p as { payload: { data: { v: string } } }).payload.data.v)).toEqual(['1', '2', '3', '4', '5']);
    expect(slow.frames).toHaveLength(1);
    // Values waiting for the slow one are not rendered for it: only what the fast one needed.
    expect(rendered.map((r) => r.value)).toEqual([1, 2, 3, 4, 5]);
    slow.flush();
    expect(slow.payloads().map((p) => (p as { payload: { data: { v: string } } }).payload.data.v)).toEqual(['1', '5']);
  });

  it('when the stream ends (expiry), the value still waiting is written, then the iterator ends; return() stops the stream', async () => {
    const { fan } = setup();
    const socket = new FakeSocket();
    const st = stream({});
    const it = attach(fan, st, args(), socket, '1');
    st.push(1);
    st.push('EXPIRED');
    let done = false;
    const next = it.next().then((r) => (done = r.done === true));
    st.end();
    await Promise.resolve();
    expect(done).toBe(false); // the waiting frame is not written yet (one in flight)
    socket.flush(); // the first frame: the waiting one goes out
    await Promise.resolve();
    expect(socket.frames).toHaveLength(2);
    expect(done).toBe(false); // `complete` comes after the last frame was handed over, as graphql-ws does
    socket.flush();
    await next;
    expect(done).toBe(true);
    expect(fan.size).toBe(0);

    const other = stream({});
    const it2 = attach(fan, other, args(), new FakeSocket(), '2');
    const pending = it2.next();
    await it2.return!();
    expect(other.returned).toBe(true);
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(fan.size).toBe(0);
  });

  it('writes nothing after return(), and nothing to a closed socket', () => {
    const { fan } = setup();
    const socket = new FakeSocket();
    const st = stream({});
    const it = attach(fan, st, args(), socket, '1');
    void it.return!();
    st.push(1);
    expect(socket.frames).toEqual([]);
    const closed = new FakeSocket();
    closed.readyState = 3;
    const st2 = stream({});
    attach(fan, st2, args(), closed, '2');
    st2.push(1);
    expect(closed.frames).toEqual([]);
  });

  it('an asynchronous rendering keeps the order: a newer value waits for it, then goes out', async () => {
    const resolvers: ((s: string) => void)[] = [];
    const { fan } = setup((_a, v) => (v === 1 ? new Promise<string>((r) => resolvers.push(r)) : `{"data":${v}}`));
    const socket = new FakeSocket();
    const st = stream({});
    attach(fan, st, args(), socket, '1');
    st.push(1);
    st.push(2);
    expect(socket.frames).toEqual([]);
    resolvers[0]!('{"data":1}');
    await new Promise((r) => setImmediate(r));
    socket.flush();
    expect(socket.payloads()).toEqual([
      { id: '1', type: 'next', payload: { data: 1 } },
      { id: '1', type: 'next', payload: { data: 2 } },
    ]);
  });

  it('a rendering that fails ends that subscriber with the error (graphql-ws answers it), and its stream', async () => {
    const { fan } = setup(() => Promise.reject(new Error('boom')));
    const st = stream({});
    const it = attach(fan, st, args(), new FakeSocket(), '1');
    const next = it.next();
    st.push(1);
    await expect(next).rejects.toThrow('boom');
    expect(st.returned).toBe(true);
    expect(fan.size).toBe(0);
  });
});

/** ws's own framing (exported at runtime, not in its types). */
const Sender = (ws as unknown as { Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] } }).Sender;

describe('textFrame', () => {
  it.each([0, 1, 125, 126, 1000, 65535, 65536, 70_000])('frames %i bytes exactly as ws does', (n) => {
    const prefix = Buffer.from('{"id":"1","type":"next","payload":');
    const payload = Buffer.alloc(Math.max(0, n - prefix.length), 'x');
    const body = Buffer.concat([prefix, payload]);
    const expected = Buffer.concat(Sender.frame(body, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));
    expect(textFrame(prefix, payload).equals(expected)).toBe(true);
  });
});
