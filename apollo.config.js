// Points Apollo tooling (editor plugins, rover-style checks) at this subgraph and its schema.
module.exports = {
  service: {
    name: 'counters',
    localSchemaFile: './schema/counter.graphql',
  },
};
