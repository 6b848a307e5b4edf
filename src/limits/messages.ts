/** graphql-js's words when the parser stops at `maxTokens` ("more that" is its spelling). */
const TOKEN_LIMIT = /Document contains more th[ae]n (\d+) tokens/;

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
