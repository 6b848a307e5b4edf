/**
 * `npm run depcheck` (a CI step): the import graph keeps the shape the code is organised by.
 * No cycles anywhere, and the layers of the service only point down. Type-only imports count:
 * a type import upward couples the layers as much as a value import does.
 */

// Top to bottom: a module may import its own layer and the layers below it, never above.
const LAYERS = [
  { name: 'root', why: 'the composition root: may import anything', paths: ['^src/(main|app)\\.ts$'] },
  { name: 'http', why: 'transport: serves what the root wires up', paths: ['^src/http/'] },
  { name: 'limits', why: 'operation limits and introspection policy, shared by every transport', paths: ['^src/limits/'] },
  { name: 'resolvers', why: 'GraphQL -> service calls only', paths: ['^resolvers/'] },
  { name: 'counters', why: 'mode dispatch, best-effort and durable paths, watch', paths: ['^src/counters/'] },
  { name: 'rollup', why: 'the roll-up pipeline: sees seams and base, never the counters', paths: ['^rollup/'] },
  { name: 'namespaces', why: 'the namespace registry over the store seam', paths: ['^src/namespaces/'] },
  // backends.ts picks the implementations; instrument/ wraps them: both stand over the seams.
  { name: 'backends', why: 'choose and decorate seam implementations', paths: ['^src/backends\\.ts$', '^src/instrument/'] },
  { name: 'seams', why: 'store, cache, pubsub: interfaces and their backends', paths: ['^src/(store|cache|pubsub)/'] },
  { name: 'auth', why: 'access control: credentials, token verification, scopes (pure but for jose)', paths: ['^src/auth/'] },
  {
    name: 'base',
    why: 'leaf modules every layer may use',
    paths: ['^src/(model|ids|errors|clock|clockMap|validate|scalars|config|logger|metrics|stream)\\.ts$', '^src/generated/', '^src/telemetry/'],
  },
];

// One rule per layer: nothing in it may import any layer above it.
const upwardRules = LAYERS.slice(1).map((layer, i) => ({
  name: `layer-${layer.name}-not-up`,
  severity: 'error',
  comment: `${layer.name} (${layer.why}) may not import ${LAYERS.slice(0, i + 1).map((l) => l.name).join(', ')}`,
  from: { path: layer.paths },
  to: { path: LAYERS.slice(0, i + 1).flatMap((l) => l.paths) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'a cycle (type-only imports included) means two modules are one concern or a seam is missing',
      from: {},
      to: { circular: true },
    },
    ...upwardRules,
    {
      name: 'only-main-imports-app',
      severity: 'error',
      comment: 'src/app.ts is the composition root: only src/main.ts (and tests, bench) start it',
      from: { pathNot: ['^src/main\\.ts$', '^tests/', '^bench/'] },
      to: { path: '^src/app\\.ts$' },
    },
    {
      name: 'seams-not-across',
      severity: 'error',
      comment: "store, cache and pubsub may use each other's interfaces (types.ts), never their implementations",
      from: { path: '^src/(store|cache|pubsub)/' },
      to: { path: '^src/(store|cache|pubsub)/', pathNot: ['^src/$1/', '^src/(store|cache|pubsub)/types\\.ts$'] },
    },
    {
      name: 'not-to-tests-or-bench',
      severity: 'error',
      comment: 'shipped code never depends on tests or the benchmark',
      from: { path: '^(src|resolvers|rollup)/' },
      to: { path: '^(tests|bench)/' },
    },
    {
      name: 'not-in-a-layer',
      severity: 'warn',
      comment: 'a module outside every layer escapes the layer rules: add its path to LAYERS in .dependency-cruiser.cjs',
      from: {},
      to: { path: '^(src|resolvers|rollup)/', pathNot: LAYERS.flatMap((l) => l.paths) },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
  },
};
