import fs from 'node:fs';
import path from 'node:path';

/** Opens of a directory by this process, so that a second store on it (a test, a restart in place) shares the lock. */
const held = new Map<string, number>();

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One process per data directory. The store is its file's only writer (exclusiveWriter) and
 * keeps which counters wait for a roll-up in memory (./pendingWindows.ts), so a second
 * process on the same directory would write events the first never rolls up, and read counts
 * that miss them. The lock file holds the owner's pid: a lock whose process is gone (SIGKILL,
 * a crash) is taken over; one whose process lives refuses the start with a message that says
 * what to do. Returns the release (call it on close).
 *
 * Not a guard against two processes starting at the very same moment after a crash (both may
 * find the dead owner's lock and replace it); it is against the common mistake, a second
 * instance pointed at the same COUNTER_DATA_DIR.
 */
export function lockDataDir(dataDir: string): () => void {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, 'counters.lock');
  const opens = held.get(file) ?? 0;
  if (opens === 0) {
    fs.mkdirSync(dir, { recursive: true }); // a first start creates the directory
    take(file);
  }
  held.set(file, opens + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (held.get(file) ?? 1) - 1;
    if (left > 0) return void held.set(file, left);
    held.delete(file);
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
    } catch {
      // gone already: nothing to release
    }
  };
}

function take(file: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(fs.readFileSync(file, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
      throw new Error(
        `the embedded store in ${path.dirname(file)} is in use by process ${owner}: one process per COUNTER_DATA_DIR ` +
          '(give each instance its own directory, or run several instances on COUNTER_STORE=cassandra)',
      );
    }
    // Left by a process that is gone (or by this one): replace it.
    fs.rmSync(file, { force: true });
  }
  throw new Error(`could not take the lock ${file}`);
}
