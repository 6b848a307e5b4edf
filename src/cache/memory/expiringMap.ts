/**
 * A map whose entries carry their own expiry (ms since the epoch; Infinity for never): an
 * expired entry is dropped when read and by sweep(), so idle keys do not hold memory.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  get(key: string, now: number): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** The expiry of a live entry, or undefined. */
  expiresAt(key: string, now: number): number | undefined {
    return this.get(key, now) === undefined ? undefined : this.entries.get(key)!.expiresAt;
  }

  set(key: string, value: V, expiresAt: number): void {
    this.entries.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  sweep(now: number): void {
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}
