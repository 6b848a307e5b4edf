import type { CounterService } from '../src/counters/service';
import type { NamespaceRegistry } from '../src/namespaces/registry';
import type { Loaders } from './loaders';

/** What every resolver gets: the shared services and this operation's own DataLoaders. */
export interface RequestContext {
  service: CounterService;
  namespaces: NamespaceRegistry;
  loaders: Loaders;
}
