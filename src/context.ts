import type { Loaders } from '../resolvers/loaders';
import type { NamespaceRegistry } from './counters/namespaces';
import type { CounterService } from './counters/service';

/** What every resolver gets: the shared services and this operation's own DataLoaders. */
export interface RequestContext {
  service: CounterService;
  namespaces: NamespaceRegistry;
  loaders: Loaders;
}
