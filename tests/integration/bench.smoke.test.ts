import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The benchmark runner end to end on one tiny scenario (about 5 seconds): it starts the built
 * service and the baseline, drives both, prints the table and writes its JSON. No figure is
 * asserted: timings belong to `npm run bench`, not to the test suite. Also its command line:
 * --help and the exit code of a bad option, which scripts calling the bench rely on.
 */
describe('bench runner (smoke)', () => {
  const runner = path.resolve(__dirname, '..', '..', 'dist', 'bench', 'run.js');

  it('runs one short scenario and reports service, baseline and ratio', () => {
    if (!fs.existsSync(runner)) throw new Error(`${runner} is missing: run npm run build first (npm test does)`);
    const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-')), 'latest.json');
    const r = spawnSync(
      process.execPath,
      [runner, '--scenarios', 'add', '--duration', '1', '--warmup', '0.5', '--connections', '4', '--json', json],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).not.toMatch(/failed:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\| scenario .*\| ratio \|/);
    const out = JSON.parse(fs.readFileSync(json, 'utf8')) as {
      rows: { scenario: string; ratio?: number; service?: { rps: number; peakRssMb: number }; baseline?: { rps: number } }[];
    };
    expect(out.rows).toHaveLength(1);
    const [row] = out.rows;
    expect(row!.service!.rps).toBeGreaterThan(0);
    expect(row!.baseline!.rps).toBeGreaterThan(0);
    expect(row!.service!.peakRssMb).toBeGreaterThan(0);
    expect(row!.ratio).toBeCloseTo(row!.service!.rps / row!.baseline!.rps, 5);
  });

  it('lists every option with its default in --help, and refuses a bad value with exit code 2', () => {
    if (!fs.existsSync(runner)) throw new Error(`${runner} is missing: run npm run build first (npm test does)`);
    const help = spawnSync(process.execPath, [runner, '--help'], { encoding: 'utf8', timeout: 10_000 });
    expect(help.status).toBe(0);
    for (const flag of ['scenarios', 'duration', 'warmup', 'connections', 'batch', 'sustain', 'subscribers', 'scaling', 'json', 'cpu-prof', 'rate']) {
      expect(help.stdout).toMatch(new RegExp(`--${flag}\\b.*\\(default: [^)]+\\)`));
    }
    const bad = spawnSync(process.execPath, [runner, '--duration', 'soon'], { encoding: 'utf8', timeout: 10_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--duration/);
  });
});
