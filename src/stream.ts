/**
 * A subscription's stream of values that its consumer either pulls (async iteration, as
 * graphql-js and the HTTP callback plugin do) or taps once: from `tap` on, each value is
 * handed to `sink` synchronously as it comes, in order, with no promise per value, and `end`
 * is called once when the stream ends (its source ended, or it was returned). A value that
 * was waiting to be pulled goes to the sink at once. After tap, next() is not used any more.
 *
 * Why: the websocket transport fans one counter's values out to thousands of subscribers;
 * a promise chain per subscriber per value (iterator, race with the expiry, graphql-ws's
 * loop) was much of the garbage of a delivery. `source` names the values' origin (one per
 * counter): streams of the same source hand out the same value objects for the same update,
 * so a consumer may render one value once for all of them (src/http/wsFanOut.ts).
 */
export interface Tappable<T> extends AsyncIterableIterator<T> {
  readonly source: object;
  tap(sink: (value: T) => void, end: () => void): void;
}

export function isTappable<T>(value: AsyncIterable<T> | unknown): value is Tappable<T> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Tappable<T>>;
  return typeof v.tap === 'function' && typeof v.source === 'object' && v.source !== null && typeof v.return === 'function';
}
