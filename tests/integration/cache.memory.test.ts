import { MemoryBestEffortCache } from '../../src/cache/memory/bestEffort';
import { MemoryConvergedCache } from '../../src/cache/memory/convergedCache';
import { cacheConformance } from './conformance/cache.conformance';

cacheConformance('memory', async () => ({ bestEffort: new MemoryBestEffortCache(), converged: new MemoryConvergedCache(10_000) }));
