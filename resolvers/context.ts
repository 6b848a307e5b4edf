import type { Principal } from '../src/auth/principal';
import type { CounterService } from '../src/counters/service';
import type { NamespaceRegistry } from '../src/namespaces/registry';
import type { Loaders } from './loaders';

/** What every resolver gets: the shared services, this operation's own DataLoaders, and its caller. */
export interface RequestContext {
  service: CounterService;
  namespaces: NamespaceRegistry;
  loaders: Loaders;
  /** Who is calling, and what they may do (resolvers/access.ts); OPEN when access control is off. */
  principal: Principal;
}
