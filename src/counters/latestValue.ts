import type { Tappable } from '../stream';

/**
 * An async iterator that holds at most one unsent value: a new value replaces one the
 * consumer has not taken yet (conflation). graphql-ws pulls the next value only after the
 * previous one was handed to the socket, so a slow or stalled client costs one value of
 * memory, never a backlog, and gets the latest value once it reads again.
 *
 * Tapped (see Tappable), it holds nothing: each value goes straight to the sink, whose
 * consumer conflates on its own (the websocket fan-out keeps one unsent frame per subscriber).
 */
export class LatestValueIterator<T> implements Tappable<T> {
  private value: T | undefined;
  private has = false;
  private done = false;
  private waiter: ((r: IteratorResult<T>) => void) | null = null;
  private sink: ((value: T) => void) | null = null;
  private end: (() => void) | null = null;

  constructor(
    private readonly onClose: () => void,
    /** What the values come from (see Tappable.source). */
    readonly source: object = {},
  ) {}

  push(value: T): void {
    if (this.done) return;
    if (this.sink) return this.sink(value);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w({ value, done: false });
    } else {
      this.value = value;
      this.has = true;
    }
  }

  tap(sink: (value: T) => void, end: () => void): void {
    this.sink = sink;
    this.end = end;
    if (this.done) return end();
    if (this.has) {
      const value = this.value as T;
      this.value = undefined;
      this.has = false;
      sink(value);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.has) {
      const value = this.value as T;
      this.value = undefined;
      this.has = false;
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((r) => (this.waiter = r));
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err: unknown): Promise<IteratorResult<T>> {
    this.close();
    return Promise.reject(err);
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.value = undefined;
    this.has = false;
    this.onClose();
    const w = this.waiter;
    this.waiter = null;
    w?.({ value: undefined, done: true });
    const end = this.end;
    this.sink = this.end = null;
    end?.();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
