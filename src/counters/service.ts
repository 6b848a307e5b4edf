import { unavailable, type CounterError } from '../errors';
import type { CounterModel, CounterRef, NamespaceConfig } from '../model';
import type { NamespaceRegistry } from '../namespaces/registry';
import type { BestEffortCounters } from './bestEffort';
import type { DurableCounters, DurableItem } from './durable';
import { EventFactory } from './events';
import type { Watcher } from './watch';
import type { AddInput, AddOptions, ClearInput, WriteResult } from './types';
import { checkName } from '../validate';

/**
 * The counter operations of the contract: validates each input into an event and hands it
 * to the path of its namespace's mode.
 *
 * - BEST_EFFORT: the cache (bestEffort.ts); no events, no roll-up.
 * - EVENTUAL: a durable event per write; reads return the converged value (durable.ts).
 * - ACCURATE: like EVENTUAL, but reads fold checkpoint + live events every time.
 */
export class CounterService {
  private readonly events = new EventFactory();

  constructor(
    private readonly namespaces: Pick<NamespaceRegistry, 'cached' | 'require'>,
    private readonly bestEffort: BestEffortCounters,
    private readonly durable: DurableCounters,
    private readonly watcher: Watcher,
  ) {}

  /** AddCount. */
  async add(input: AddInput, options: AddOptions = {}): Promise<WriteResult> {
    const [r] = await this.addMany([input], options);
    if (r instanceof Error) throw r;
    return r!;
  }

  /**
   * Many AddCounts: every item is validated on its own; the durable ones go to the store in
   * one append (one group commit). Returns, in input order, a result or the item's refusal;
   * a refused item changes nothing, and the others keep their own outcome.
   */
  async addMany(inputs: AddInput[], options: AddOptions = {}): Promise<(WriteResult | CounterError)[]> {
    const unasked = options.applied === false;
    const out: (WriteResult | CounterError)[] = new Array(inputs.length);
    const durable: DurableItem[] = [];
    const cached: Promise<void>[] = [];
    const nowMs = Date.now();
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      try {
        const ns = this.namespaces.cached(input.namespace) ?? (await this.namespaces.require(input.namespace));
        const event = this.events.make(ns, input, { clear: false, delta: input.delta, unasked }, nowMs);
        if (ns.mode === 'BEST_EFFORT') {
          cached.push(
            this.bestEffort.add(ns, event, input.idempotencyToken).then(
              (r) => void (out[i] = r),
              (e: unknown) => void (out[i] = unavailable(e)),
            ),
          );
        } else {
          durable.push({ i, ns, event });
        }
      } catch (err) {
        out[i] = unavailable(err);
      }
    }
    if (durable.length > 0) for (const [i, r] of await this.durable.add(durable)) out[i] = r;
    await Promise.all(cached);
    return out;
  }

  /** AddAndGetCount: the returned count includes this add, in every mode. */
  async addAndGet(input: AddInput, options: AddOptions = {}): Promise<CounterModel> {
    const r = await this.add(input, options);
    if (r.counter.count !== undefined) return r.counter;
    const ns = await this.namespaces.require(r.counter.namespace);
    const [count] = await this.durable.exactCounts(ns, [r.counter]);
    return { ...r.counter, count: count! };
  }

  /** ClearCount: zero as of the token's generation time (or now). */
  async clear(input: ClearInput): Promise<WriteResult> {
    const ns = await this.namespaces.require(input.namespace);
    const event = this.events.make(ns, input, { clear: true, delta: 0n });
    if (ns.mode === 'BEST_EFFORT') return this.bestEffort.clear(ns, event, input.idempotencyToken);
    return this.durable.clear(ns, event);
  }

  /** GetCount for many counters of one namespace, batched: one store or cache call. */
  async getCounts(ns: NamespaceConfig, names: readonly string[]): Promise<bigint[]> {
    const refs: CounterRef[] = names.map((name) => ({ namespace: ns.name, name: checkName('name', name) }));
    if (ns.mode === 'BEST_EFFORT') return this.bestEffort.get(refs);
    return this.durable.getCounts(ns, refs);
  }

  /** A counter's current value, then each newer converged value (see Watcher). */
  async watch(ref: CounterRef): Promise<AsyncIterableIterator<CounterModel>> {
    const ns = await this.namespaces.require(ref.namespace);
    checkName('name', ref.name);
    return this.watcher.watch(ns, ref.name, (names) => this.getCounts(ns, names));
  }

  /** Publishes what the best-effort throttle still holds (shutdown). */
  close(): void {
    this.bestEffort.flush();
  }
}
