import { operationLabel, spanName } from '../../../../src/telemetry/operation';

describe('operationLabel', () => {
  it.each([
    ['{ counter(namespace: "a", name: "b") { count } }', null, { type: 'query' }],
    ['query { a }', undefined, { type: 'query' }],
    ['query Views($n: String!) { a }', undefined, { type: 'query', name: 'Views' }],
    ['mutation AddView { addCount(input: {}) { applied } }', null, { type: 'mutation', name: 'AddView' }],
    ['# a comment\n  subscription Live { counterUpdated { count } }', null, { type: 'subscription', name: 'Live' }],
    ['mutation ($i: AddCountInput!) { addCount(input: $i) { applied } }', '', { type: 'mutation' }],
    ['fragment query on Counter { count } mutation M { a }', undefined, { type: 'mutation', name: 'M' }],
  ])('%s', (query, operationName, expected) => {
    expect(operationLabel(query, operationName)).toEqual(expected);
  });

  it('picks the operation named by operationName among several', () => {
    const doc = 'query A { a } mutation B { b } subscription C { c }';
    expect(operationLabel(doc, 'B')).toEqual({ type: 'mutation', name: 'B' });
    expect(operationLabel(doc, 'C')).toEqual({ type: 'subscription', name: 'C' });
    expect(operationLabel(doc, 'Z')).toBeUndefined();
  });

  it('does not mistake a field or an argument named like a keyword for an operation', () => {
    expect(operationLabel('query Q { mutation { subscription } }', undefined)).toEqual({ type: 'query', name: 'Q' });
    expect(operationLabel('query A { a } mutation B { query }', 'B')).toEqual({ type: 'mutation', name: 'B' });
  });

  it('leaves what is not a document unlabelled, and never throws', () => {
    expect(operationLabel(undefined, undefined)).toBeUndefined();
    expect(operationLabel(42, undefined)).toBeUndefined();
    expect(operationLabel('"unterminated', undefined)).toBeUndefined();
    expect(operationLabel('', undefined)).toBeUndefined();
  });

  it('stops scanning after a bounded number of tokens', () => {
    const huge = `${'fragment F on T { a } '.repeat(5000)} query Late { a }`;
    expect(operationLabel(huge, 'Late')).toBeUndefined();
  });

  it('names spans as the OpenTelemetry GraphQL conventions do', () => {
    expect(spanName({ type: 'mutation', name: 'AddView' })).toBe('mutation AddView');
    expect(spanName({ type: 'query' })).toBe('query');
    expect(spanName(undefined)).toBe('graphql');
  });
});
