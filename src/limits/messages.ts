import { GraphQLError } from 'graphql';

/** graphql-js's words when the parser stops at `maxTokens` ("more that" is its spelling). */
const TOKEN_LIMIT = /Document contains more tha[nt] (\d+) tokens/;

export const tokenLimitOf = (message: string): number | undefined => {
  const m = TOKEN_LIMIT.exec(message);
  return m ? Number(m[1]) : undefined;
};

/**
 * Strips graphql-js's hints ("Cannot query field "nme" on type "Counter". Did you mean
 * "name"?"): with introspection off they would spell the schema out one guess at a time.
 * The same expression as Apollo's hideSchemaDetailsFromClientErrors.
 */
export const hideSuggestions = (message: string): string => message.replace(/ ?Did you mean(.+?)\?$/, '');

/** A code on a refusal that has none, as Apollo labels them (GRAPHQL_VALIDATION_FAILED, GRAPHQL_PARSE_FAILED); ours keep theirs. */
export const withCode = (e: GraphQLError, code: string): GraphQLError =>
  e.extensions.code !== undefined
    ? e
    : new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, originalError: e.originalError, extensions: { ...e.extensions, code } });
