/** Every scenario, in the order `npm run bench` runs them by default. */
import type { Scenario } from '../types';
import { add } from './add';
import { bulk } from './bulk';
import { cassandra } from './cassandra';
import { coalescing } from './coalescing';
import { convergence } from './convergence';
import { mixed } from './mixed';
import { read } from './read';
import { scaling } from './scaling';
import { subscribers } from './subscribers';
import { sustained } from './sustained';

/** The registry --scenarios picks from (by name) and --help lists. */
export const SCENARIOS: readonly Scenario[] = [add, bulk, read, mixed, convergence, coalescing, subscribers, sustained, scaling, cassandra];
