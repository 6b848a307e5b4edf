import fs from 'node:fs';
import path from 'node:path';
import { killAll, spawnServiceProcess, type Proc } from './helpers/process';
import { gqlAt, tempDir } from './helpers/server';

/**
 * One service process per embedded data directory (src/store/embedded/processLock.ts): a
 * second one refuses to start with a message naming the owner; once the owner is gone, by a
 * clean stop or SIGKILL, the next start takes the directory over.
 */

const running: Proc[] = [];
afterAll(() => killAll(running));

const count = async (url: string): Promise<unknown> => {
  const r = await gqlAt<{ namespaces: unknown[] }>(url, '{ namespaces { name } }');
  return r.data?.namespaces;
};

describe('one process per COUNTER_DATA_DIR', () => {
  it('refuses a second process on the same directory while the first lives, and takes over after SIGKILL', async () => {
    const dataDir = path.join(tempDir('counters-lock-'), 'not-there-yet'); // a first start creates it
    const first = await spawnServiceProcess({ COUNTER_DATA_DIR: dataDir });
    running.push(first);
    await expect(spawnServiceProcess({ COUNTER_DATA_DIR: dataDir })).rejects.toThrow(
      new RegExp(`in use by process ${first.child.pid}: one process per COUNTER_DATA_DIR`),
    );
    // The first one was left alone.
    expect(await count(first.url)).toEqual([]);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await spawnServiceProcess({ COUNTER_DATA_DIR: dataDir });
    running.push(second);
    expect(await count(second.url)).toEqual([]);
  });

  it('gives the directory back on a clean stop', async () => {
    const dataDir = tempDir('counters-lock-');
    const first = await spawnServiceProcess({ COUNTER_DATA_DIR: dataDir });
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'counters.lock'))).toBe(false);
    const second = await spawnServiceProcess({ COUNTER_DATA_DIR: dataDir });
    running.push(second);
    expect(await count(second.url)).toEqual([]);
  });
});
