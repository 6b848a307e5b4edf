import { OperationGate, SUBSCRIBER_ALREADY_EXISTS } from '../../../../src/http/wsOperations';

/** A fake graphql-ws: every delivered subscribe runs until the test ends it. */
function harness() {
  const delivered: string[] = [];
  const running = new Map<string, () => void>();
  const closes: [number, string][] = [];
  const gate = new OperationGate(
    (raw) => {
      let msg: { type: string; id?: string };
      try {
        msg = JSON.parse(raw) as typeof msg;
      } catch {
        delivered.push('unparsed');
        return Promise.resolve();
      }
      delivered.push(`${msg.type}:${msg.id ?? ''}`);
      if (msg.type !== 'subscribe') return Promise.resolve();
      return new Promise<void>((r) => running.set(msg.id!, r));
    },
    (code, reason) => closes.push([code, reason]),
    () => undefined,
  );
  const sub = (id: string) => gate.receive(JSON.stringify({ id, type: 'subscribe', payload: { query: '{a}' } }));
  const complete = (id: string) => gate.receive(JSON.stringify({ id, type: 'complete' }));
  const end = async (id: string) => {
    running.get(id)!();
    running.delete(id);
    await new Promise((r) => setImmediate(r));
  };
  return { gate, delivered, closes, sub, complete, end };
}

describe('OperationGate', () => {
  it('passes a subscribe and its complete at once, and counts the operation until its handler ends', async () => {
    const h = harness();
    h.sub('a');
    h.complete('a');
    expect(h.delivered).toEqual(['subscribe:a', 'complete:a']);
    expect(h.gate.active).toBe(1);
    await h.end('a');
    expect(h.gate.active).toBe(0);
  });

  it('holds a subscribe that reuses a completed id until the earlier operation has ended', async () => {
    const h = harness();
    h.sub('x');
    h.complete('x');
    h.sub('x');
    expect(h.delivered).toEqual(['subscribe:x', 'complete:x']);
    await h.end('x');
    expect(h.delivered).toEqual(['subscribe:x', 'complete:x', 'subscribe:x']);
    expect(h.gate.active).toBe(1);
  });

  it('a complete cancels the held subscribe: 20,000 cycles hold one message, start nothing', async () => {
    const h = harness();
    h.sub('x');
    for (let i = 0; i < 20_000; i++) {
      h.complete('x');
      h.sub('x');
    }
    h.complete('x');
    expect(h.delivered).toEqual(['subscribe:x', 'complete:x']);
    await h.end('x');
    expect(h.delivered).toHaveLength(2);
    expect(h.gate.active).toBe(0);
  });

  it('leaves a live duplicate to graphql-ws (its 4409), and closes 4409 on a second held subscribe', () => {
    const h = harness();
    h.sub('d');
    h.sub('d');
    expect(h.delivered).toEqual(['subscribe:d', 'subscribe:d']);
    const g = harness();
    g.sub('e');
    g.complete('e');
    g.sub('e');
    g.sub('e');
    expect(g.closes).toEqual([[SUBSCRIBER_ALREADY_EXISTS, 'Subscriber for e already exists']]);
  });

  it('passes everything else through unjudged, and drops held subscribes once disposed', async () => {
    const h = harness();
    h.gate.receive('{"type":"ping"}');
    h.gate.receive('not json');
    expect(h.delivered).toEqual(['ping:', expect.any(String)]);
    h.sub('z');
    h.complete('z');
    h.sub('z');
    h.gate.dispose();
    await h.end('z');
    expect(h.delivered.filter((d) => d === 'subscribe:z')).toHaveLength(1);
  });
});

describe('OperationGate failures', () => {
  it('reports a failed subscribe with its id, and whether the client had completed it meanwhile', async () => {
    const failures: [string, string | undefined, boolean][] = [];
    const rejecters: ((e: Error) => void)[] = [];
    const gate = new OperationGate(
      (raw) => ((JSON.parse(raw) as { type: string }).type === 'subscribe' ? new Promise<void>((_r, reject) => rejecters.push(reject)) : Promise.resolve()),
      () => undefined,
      (err, id, completed) => failures.push([(err as Error).message, id, completed]),
    );
    gate.receive(JSON.stringify({ id: 'a', type: 'subscribe', payload: { query: 'x' } }));
    gate.receive(JSON.stringify({ id: 'b', type: 'subscribe', payload: { query: 'x' } }));
    gate.receive(JSON.stringify({ id: 'b', type: 'complete' }));
    rejecters[0]!(new Error('parse a'));
    rejecters[1]!(new Error('parse b'));
    await new Promise((r) => setImmediate(r));
    expect(failures).toEqual([
      ['parse a', 'a', false],
      ['parse b', 'b', true],
    ]);
    expect(gate.active).toBe(0);
  });
});
