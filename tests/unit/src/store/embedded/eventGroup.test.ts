import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { INT64_MAX, INT64_MIN, type CounterEvent } from '../../../../../src/model';
import { decodeEvents, encodeEvents, transferList, type EncodedEvents } from '../../../../../src/store/embedded/eventGroup';

const event = (over: Partial<CounterEvent> = {}): CounterEvent => ({ namespace: 'ns', name: 'c1', timeUs: 1_700_000_000_000_000, eventId: 'tok-1', clear: false, delta: 1n, ...over });

/** Back to events, as the writer sees them. */
function roundtrip(events: CounterEvent[], encoded: EncodedEvents = encodeEvents(events)): CounterEvent[] {
  const c = decodeEvents(encoded);
  return c.names.map((name, i) => ({ namespace: c.namespaces[i]!, name, timeUs: c.timeUs[i]!, eventId: c.eventIds[i]!, clear: c.clear[i] === 1, delta: c.delta[i]! }));
}

/** What the writer thread receives: the message cloned, the buffer transferred when transferList says so. */
function sent(encoded: EncodedEvents): EncodedEvents {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage({ op: 'append', events: encoded }, transferList(encoded));
  const received = (receiveMessageOnPort(port2)!.message as { events: EncodedEvents }).events;
  port1.close();
  return received;
}

describe('encodeEvents / decodeEvents', () => {
  it('an empty group', () => {
    const encoded = encodeEvents([]);
    expect(encoded.buffer.byteLength).toBe(0);
    expect(roundtrip([], sent(encoded))).toEqual([]);
  });

  it('every field of every event, in order', () => {
    const events = [
      event(),
      event({ namespace: 'other', name: 'c2', timeUs: 1_700_000_000_000_001.5, eventId: 'tok-2', delta: -7n }),
      event({ name: 'c1', eventId: '~inst.1', clear: true, delta: 0n }),
    ];
    expect(roundtrip(events, sent(encodeEvents(events)))).toEqual(events);
  });

  it('deltas at and near the int64 bounds', () => {
    const deltas = [INT64_MAX, INT64_MAX - 1n, INT64_MIN, INT64_MIN + 1n, 0n, -1n, 1n << 53n];
    const events = deltas.map((delta, i) => event({ eventId: `t${i}`, delta }));
    expect(roundtrip(events, sent(encodeEvents(events))).map((e) => e.delta)).toEqual(deltas);
  });

  it('non-ASCII, astral, lone-surrogate and empty strings keep their exact code units', () => {
    const events = [
      event({ namespace: 'zählwerk', name: 'ünïcødé-名前', eventId: '🎉🎉' }),
      event({ namespace: 'ns', name: '', eventId: 'x' }),
      event({ namespace: 'ns', name: 'half\ud800', eventId: '\udc00tail' }),
      event({ namespace: 'ns', name: 'a\u0000b', eventId: 'é'.repeat(255) }),
    ];
    expect(roundtrip(events, sent(encodeEvents(events)))).toEqual(events);
  });

  it('a small group is copied, a large one (a full group of 20,000) moved: its buffer is detached once sent', () => {
    const small = encodeEvents([event()]);
    expect(transferList(small)).toEqual([]);
    const events = Array.from({ length: 20_000 }, (_, i) => event({ name: `c${i % 97}`, eventId: `tok${i}`, timeUs: 1_700_000_000_000_000 + i, delta: BigInt(i) - 10_000n }));
    const encoded = encodeEvents(events);
    expect(transferList(encoded)).toEqual([encoded.buffer]);
    const received = sent(encoded);
    expect(encoded.buffer.byteLength).toBe(0);
    expect(roundtrip(events, received)).toEqual(events);
  });

  it('refuses a buffer or strings that do not match', () => {
    const { strings, buffer } = encodeEvents([event(), event({ eventId: 'tok-2' })]);
    expect(() => decodeEvents({ strings, buffer: buffer.slice(0, 30) })).toThrow(/no whole number of events/);
    expect(() => decodeEvents({ strings: `${strings}x`, buffer })).toThrow(/its lengths say/);
  });
});
