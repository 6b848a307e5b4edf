import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { memoryPerItem, sampleAfterGc } from '../../bench/memory';
import { perItemCell } from '../../bench/report';

/**
 * The bench's retained-memory figures on a real process under --inspect: a full gc through
 * the inspector, then process.memoryUsage() in that process. Garbage must not count, what a
 * process keeps must, per item.
 */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

// Keeps 20,000 arrays of 125 small integers (1,000 bytes of elements each) on 'keep', makes as much garbage on 'garbage'.
const SCRIPT = `
globalThis.kept = [];
process.on('message', (m) => {
  const make = (i) => Array.from({ length: 125 }, (_, j) => (i + j) % 1000);
  if (m === 'keep') for (let i = 0; i < 20000; i++) globalThis.kept.push(make(i));
  if (m === 'garbage') for (let i = 0; i < 20000; i++) make(i);
  process.send('done');
});
process.send('ready');
setInterval(() => {}, 1000);
`;

describe('bench memory samples (inspector gc + memoryUsage)', () => {
  let child: ChildProcess;
  let port: number;
  const ask = (m: string) => new Promise<void>((r) => (child.once('message', () => r()), child.send(m)));

  beforeAll(async () => {
    port = await freePort();
    child = spawn(process.execPath, [`--inspect=127.0.0.1:${port}`, '-e', SCRIPT], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    await new Promise<void>((r) => child.once('message', () => r()));
    for (let i = 0; i < 50; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}/json/list`);
        break;
      } catch {
        await sleep(100);
      }
    }
  });
  afterAll(() => void child.kill());

  it('counts what the process keeps, per item, and not its garbage', async () => {
    const before = await sampleAfterGc(port);
    expect(before.heapUsedMb).toBeGreaterThan(0);
    expect(before.rssMb).toBeGreaterThan(before.heapUsedMb);
    await ask('garbage');
    const afterGarbage = await sampleAfterGc(port);
    // 20 MB of garbage made; after the gc, next to nothing of it is left.
    expect(afterGarbage.heapUsedMb - before.heapUsedMb).toBeLessThan(3);
    await ask('keep');
    const m = memoryPerItem('counter', 20_000, afterGarbage, await sampleAfterGc(port));
    // 1,000 bytes of elements, the array's header and its slot in 'kept', per item.
    expect(m.heapBytes).toBeGreaterThan(1000);
    expect(m.heapBytes).toBeLessThan(1300);
    expect(m.items).toBe(20_000);
    expect(perItemCell(m)).toMatch(/^\d,\d{3} \/ -?[\d,]+$/);
    expect(perItemCell(undefined)).toBe('-');
  });
});
