import type { CodegenConfig } from '@graphql-codegen/cli';

// Resolver types come from schema/*.graphql so the TypeScript never restates the schema.
const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useIndexSignature: false,
        enumsAsTypes: true,
        contextType: '../context#RequestContext',
        mappers: {
          Counter: '../model#CounterModel',
          Namespace: '../model#NamespaceModel',
          AddCountPayload: '../model#AddCountPayloadModel',
          AddCountsItem: '../model#AddCountsItemModel',
          AddCountsPayload: '../model#AddCountsPayloadModel',
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
