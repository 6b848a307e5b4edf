import { MemoryBestEffortCache } from '../src/cache/memoryBestEffort';
import { MemoryRollupCache } from '../src/cache/memoryRollup';
import { cacheConformance } from './conformance/cache.conformance';

cacheConformance('memory', async () => ({ bestEffort: new MemoryBestEffortCache(), rollup: new MemoryRollupCache(10_000) }));
