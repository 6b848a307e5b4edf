import fs from 'node:fs';
import { SqliteStore } from '../src/store/sqlite/sqliteStore';
import { storeConformance } from './conformance/store.conformance';
import { tempDir } from './helpers/server';

const dir = tempDir('store-embedded-');

storeConformance('embedded (SQLite)', {
  open: async () => new SqliteStore(dir, 'NORMAL'),
  cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
});
