import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Integration tests run parts that only exist built: the service as a process (crash tests),
 * the embedded store's writer thread (a worker cannot load .ts). `npm test` builds first;
 * this keeps a direct `npx jest` honest too, by building dist/ when it is older than the
 * sources, so no test ever runs stale code.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestMtime(p));
    else if (/\.(ts|graphql)$/.test(e.name)) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/ when it is missing or older than the sources (what `npm run build` does). */
export default function ensureBuilt(): void {
  const generated = path.join(ROOT, 'resolvers', 'generated', 'graphql.ts');
  if (!fs.existsSync(generated) || fs.statSync(generated).mtimeMs < newestMtime(path.join(ROOT, 'schema'))) {
    execFileSync('npx', ['graphql-codegen', '--config', 'codegen.ts'], { cwd: ROOT, stdio: 'pipe' });
  }
  const sources = Math.max(...['src', 'resolvers', 'rollup', 'schema'].map((d) => newestMtime(path.join(ROOT, d))));
  if (fs.existsSync(MAIN) && fs.statSync(MAIN).mtimeMs >= sources) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (err) {
    // tsc emits despite type errors elsewhere in the tree; only a missing entry point is fatal.
    if (!fs.existsSync(MAIN)) throw err;
    process.stderr.write(`tsc reported errors while building dist:\n${String((err as { stdout?: Buffer }).stdout ?? err)}\n`);
  }
}

