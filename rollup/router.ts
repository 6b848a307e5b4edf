// xxhash-wasm ships a CommonJS build whose types are declared for ESM only.
type XXHashInit = typeof import('xxhash-wasm', { with: { 'resolution-mode': 'import' } }).default;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const xxhash = require('xxhash-wasm') as XXHashInit;

export type Router = (key: string) => number;

/**
 * Routes a counter key to one of `queues` queues with XXHash32: the same counter always
 * lands on the same queue (so repeats coalesce there), and keys spread evenly across queues.
 */
export async function createRouter(queues: number): Promise<Router> {
  const { h32 } = await xxhash();
  return (key) => h32(key) % queues;
}
