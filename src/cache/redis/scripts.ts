import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RedisClient } from './client';

/**
 * Where a .lua file of this folder is: beside this module when run from source (jest), else
 * in the source folder, since tsc does not copy .lua files into dist/ (dist/src/cache/redis
 * -> src/cache/redis), as resolvers/index.ts finds the schema.
 */
function scriptPath(file: string): string {
  const candidates = [path.join(__dirname, file), path.resolve(__dirname, '..', '..', '..', '..', 'src', 'cache', 'redis', file)];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`Redis script ${file} not found in ${candidates.join(' or ')}`);
  return found;
}

/** A Lua script of this folder and how many of its arguments are keys (its KEYS). */
export interface ScriptFile {
  file: string;
  numberOfKeys: number;
}

/**
 * Registers each script as an ioredis command of that name (EVALSHA, with EVAL when Redis
 * does not hold it yet), reading its file once, at the first cache built on the connection:
 * the caches share one connection, and a command already there is kept.
 */
export function defineScripts(redis: RedisClient, scripts: Record<string, ScriptFile>): void {
  for (const [name, { file, numberOfKeys }] of Object.entries(scripts)) {
    if (name in redis) continue;
    redis.defineCommand(name, { numberOfKeys, lua: readFileSync(scriptPath(file), 'utf8') });
  }
}
