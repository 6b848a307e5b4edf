import { MemoryPubSub } from '../../src/pubsub/memory';
import { pubsubConformance } from './conformance/pubsub.conformance';

pubsubConformance('memory', async () => {
  const ps = new MemoryPubSub();
  return { a: ps, b: ps, close: () => ps.close() };
});
