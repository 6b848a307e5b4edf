import { isTappable, type Tappable } from '../stream';

/**
 * A subscription lives as long as the credentials it was started with: `untilExpiry` passes
 * the source's values through until `expiresAtMs`, then ends the source (releasing what it
 * holds: its pub/sub listener, the subscriptions gauge) and yields EXPIRED once, which the
 * field resolver turns into an UNAUTHENTICATED error; the stream then completes. A tappable
 * source gives a tappable stream (see Tappable): tapped, values pass to the sink until the
 * expiry, which hands the sink EXPIRED, ends the source, then ends the stream.
 */
export const EXPIRED: unique symbol = Symbol('credentials expired');
export type Expired = typeof EXPIRED;

/** setTimeout's longest delay (about 24.8 days); a later expiry is reached in several steps. */
const MAX_TIMER_MS = 2_147_483_647;

export function untilExpiry<T>(
  source: AsyncIterableIterator<T>,
  expiresAtMs: number | undefined,
  now: () => number = Date.now,
): AsyncIterableIterator<T | Expired> {
  if (expiresAtMs === undefined) return source;
  let state: 'live' | 'expired' | 'done' = 'live';
  let timer: NodeJS.Timeout | undefined;
  let fire: (() => void) | undefined;
  const expiry = new Promise<'expired'>(
    (resolve) =>
      (fire = () => {
        if (state === 'live') state = 'expired';
        resolve('expired');
      }),
  );
  const arm = (): void => {
    const left = expiresAtMs - now();
    if (left <= 0) return fire!();
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  const finish = async (): Promise<void> => {
    if (state === 'done') return;
    state = 'done';
    clearTimeout(timer);
    await source.return?.();
  };
  const it: AsyncIterableIterator<T | Expired> & Partial<Tappable<T | Expired>> = {
    async next() {
      if (state === 'done') return { value: undefined, done: true };
      if (state === 'live') {
        const r = await Promise.race([source.next(), expiry]);
        // A value that was ready when the credentials ran out is not sent any more.
        if (r !== 'expired' && state === 'live') {
          if (r.done) await finish();
          return r;
        }
        if ((state as string) === 'done') return { value: undefined, done: true };
      }
      // Expired: release the source first, then tell the consumer once.
      await finish();
      return { value: EXPIRED, done: false };
    },
    async return() {
      await finish();
      return { value: undefined, done: true };
    },
    async throw(err: unknown) {
      await finish();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  if (isTappable<T>(source)) {
    Object.assign(it, {
      source: source.source,
      tap(sink: (value: T | Expired) => void, end: () => void): void {
        let ended = false;
        const endOnce = (): void => {
          if (ended) return;
          ended = true;
          end();
        };
        void expiry.then(() => {
          if (state !== 'expired') return;
          sink(EXPIRED);
          void finish();
          endOnce();
        });
        source.tap((value) => {
          if (state === 'live') sink(value);
        }, () => {
          // The source ended by itself, or was returned (this stream's return, or expiry's finish).
          if (state === 'live') state = 'done';
          if (state === 'done') {
            clearTimeout(timer);
            endOnce();
          }
        });
      },
    });
  }
  return it;
}
