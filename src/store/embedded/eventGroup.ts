import type { CounterEvent } from '../../model';

/**
 * An append group as the writer thread receives it: every string of the group joined into
 * one, and every number in one buffer. Sending a group as columns (three arrays of strings,
 * three typed arrays) cost the main thread one clone per string and per array; one string and
 * one buffer cost ~30% less for the few events of an addCount group and half at 1,000 events
 * or more (docs/benchmarks.md, "Append groups to the writer thread").
 *
 * The strings stay JavaScript strings (structured clone copies a string exactly, lone
 * surrogates included) rather than UTF-8 bytes: encoding them measured no cheaper on the
 * main thread, and the writer would have to decode them.
 */
export interface EncodedEvents {
  /** Each event's namespace, name and event id, in that order, event after event. */
  strings: string;
  /** BYTES_PER_EVENT per event; see encodeEvents for the layout. */
  buffer: ArrayBuffer;
}

/** A group decoded by the writer: one entry per event in each column. */
export interface EventColumns {
  namespaces: string[];
  names: string[];
  eventIds: string[];
  timeUs: Float64Array;
  delta: BigInt64Array;
  /** 1 for a clear. */
  clear: Uint8Array;
}

/** timeUs (8), delta (8), the lengths of its three strings (3 x 4), clear (1). */
const BYTES_PER_EVENT = 29;

/** The columns of a buffer holding n events: 8-byte columns first, so every view is aligned. */
function views(buffer: ArrayBuffer, n: number): Omit<EventColumns, 'namespaces' | 'names' | 'eventIds'> & { lengths: Uint32Array } {
  return {
    timeUs: new Float64Array(buffer, 0, n),
    delta: new BigInt64Array(buffer, 8 * n, n),
    lengths: new Uint32Array(buffer, 16 * n, 3 * n),
    clear: new Uint8Array(buffer, 28 * n, n),
  };
}

/**
 * Past this size the buffer is moved to the writer rather than copied: copying a small one is
 * cheaper (measured ~1 µs less per message up to ~30 KB), moving a large one (4,096 events and
 * up) saves its copy.
 */
const TRANSFER_MIN_BYTES = 64 * 1024;

/** What to pass as postMessage's transfer list with a group (its buffer is detached once sent). */
export function transferList(encoded: EncodedEvents): ArrayBuffer[] {
  return encoded.buffer.byteLength >= TRANSFER_MIN_BYTES ? [encoded.buffer] : [];
}

/** The main thread's side (send it with transferList). */
export function encodeEvents(events: readonly CounterEvent[]): EncodedEvents {
  const n = events.length;
  const buffer = new ArrayBuffer(BYTES_PER_EVENT * n);
  const v = views(buffer, n);
  let strings = '';
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    v.timeUs[i] = e.timeUs;
    v.delta[i] = e.delta;
    v.clear[i] = e.clear ? 1 : 0;
    v.lengths[3 * i] = e.namespace.length;
    v.lengths[3 * i + 1] = e.name.length;
    v.lengths[3 * i + 2] = e.eventId.length;
    strings += e.namespace + e.name + e.eventId;
  }
  return { strings, buffer };
}

/** The writer thread's side of encodeEvents. */
export function decodeEvents({ strings, buffer }: EncodedEvents): EventColumns {
  const n = buffer.byteLength / BYTES_PER_EVENT;
  if (!Number.isInteger(n)) throw new Error(`an event group's buffer of ${buffer.byteLength} bytes holds no whole number of events`);
  const { lengths, ...numbers } = views(buffer, n);
  const columns: EventColumns = { namespaces: new Array<string>(n), names: new Array<string>(n), eventIds: new Array<string>(n), ...numbers };
  let at = 0;
  const next = (length: number): string => strings.slice(at, (at += length));
  for (let i = 0; i < n; i++) {
    columns.namespaces[i] = next(lengths[3 * i]!);
    columns.names[i] = next(lengths[3 * i + 1]!);
    columns.eventIds[i] = next(lengths[3 * i + 2]!);
  }
  if (at !== strings.length) throw new Error(`an event group's strings have ${strings.length} characters, its lengths say ${at}`);
  return columns;
}
