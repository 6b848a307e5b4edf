import type { CodegenConfig } from '@graphql-codegen/cli';

// Resolver types come from schema/*.graphql so the TypeScript never restates the schema.
const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  generates: {
    'resolvers/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useIndexSignature: false,
        enumsAsTypes: true,
        contextType: '../context#RequestContext',
        mappers: {
          Counter: '../../src/model#CounterModel',
          Namespace: '../../src/model#NamespaceModel',
          AddCountPayload: '../../src/model#AddCountPayloadModel',
          AddCountsItem: '../../src/model#AddCountsItemModel',
          AddCountsPayload: '../../src/model#AddCountsPayloadModel',
        },
        scalars: { Long: 'bigint', DateTime: 'Date' },
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        maybeValue: 'T | null',
        inputMaybeValue: 'T | null | undefined',
      },
    },
  },
};
export default config;
