// Points Apollo tooling (the VS Code / JetBrains Apollo extensions, the language server) at
// this subgraph: its schema file is the source of truth, so editors validate against it
// offline, with the federation directives it imports. A running subgraph answers the same
// SDL at `{ _service { sdl } }` (COUNTER_SUBGRAPH_URL, default http://localhost:4000/graphql).
// Composition into a supergraph: README, section "Federation" (rover supergraph.yaml).
module.exports = {
  service: {
    name: 'counters',
    localSchemaFile: './schema/counter.graphql',
    endpoint: {
      url: process.env.COUNTER_SUBGRAPH_URL || 'http://localhost:4000/graphql',
    },
  },
};
