import fs from 'node:fs';
import { EmbeddedStore } from '../../src/store/embedded/embeddedStore';
import { storeConformance } from './conformance/store.conformance';
import { tempDir } from './helpers/server';

const dir = tempDir('store-embedded-');

storeConformance('embedded (SQLite)', {
  open: async () => new EmbeddedStore(dir, 'NORMAL'),
  cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
});
