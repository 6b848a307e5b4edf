import { parse } from 'graphql';
import { buildSchema } from '../../../../resolvers';
import { estimateCost } from '../../../../src/limits/cost';

const schema = buildSchema();
const cost = (q: string, variables: Record<string, unknown> = {}, op?: string) => estimateCost(schema, parse(q), op, variables, 10_000);
const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

describe('the cost estimator (the schema\'s @cost and @listSize)', () => {
  it('keeps the directives on field astNodes through buildSubgraphSchema', () => {
    const dirs = (t: string, f: string) => (schema.getType(t) as never as { getFields(): Record<string, { astNode: { directives: { name: { value: string } }[] } }> }).getFields()[f]!.astNode.directives.map((d) => d.name.value);
    expect(dirs('Counter', 'count')).toEqual(['cost']);
    expect(dirs('Query', 'counters')).toEqual(['listSize']);
    expect(dirs('Namespace', 'counters')).toEqual(['listSize']);
    expect(dirs('Mutation', 'addCounts')).toEqual(['listSize']);
  });

  it('costs an object 1, a scalar 0, and Counter.count its @cost weight', () => {
    expect(cost('{ namespace(name: "a") { name mode } }')).toBe(1);
    expect(cost('{ counter(namespace: "a", name: "b") { name } }')).toBe(1);
    expect(cost('{ counter(namespace: "a", name: "b") { count } }')).toBe(2);
    expect(cost('{ __typename }')).toBe(0);
  });

  it('multiplies a list by the actual length of names, written out or as a variable', () => {
    expect(cost('{ counters(namespace: "a", names: ["x", "y", "z"]) { count } }')).toBe(6);
    expect(cost('query ($n: [String!]!) { counters(namespace: "a", names: $n) { count } }', { n: names(1000) })).toBe(2000);
    expect(cost('{ counters(namespace: "a", names: "x") { count } }')).toBe(2); // a single value is a list of one
    expect(cost('query ($n: [String!]!) { namespace(name: "a") { counters(names: $n) { count } } }', { n: names(7) })).toBe(1 + 14);
  });

  it('uses the assumed size where the length is not known (namespaces: 20)', () => {
    expect(cost('{ namespaces { name } }')).toBe(20);
    expect(cost('query ($n: [String!]!) { namespaces { counters(names: $n) { count } } }', { n: names(1000) })).toBe(20 * (1 + 2000));
  });

  it('sizes addCounts\' items (sizedFields) by the length of inputs', () => {
    const inputs = Array.from({ length: 1000 }, () => ({ namespace: 'a', name: 'b', delta: '1' }));
    const q = 'mutation ($is: [AddCountInput!]!) { addCounts(inputs: $is) { acceptedCount items { counter { count } } } }';
    expect(cost(q, { is: inputs })).toBe(1 + 1000 * 3);
    expect(cost('mutation ($is: [AddCountInput!]!) { addCounts(inputs: $is) { acceptedCount } }', { is: inputs })).toBe(1);
  });

  it('sizes _entities by its representations', () => {
    const reps = Array.from({ length: 50 }, (_, i) => ({ __typename: 'Counter', namespace: 'a', name: `c${i}` }));
    expect(cost('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Counter { count } } }', { r: reps })).toBe(50 * 2);
  });

  it('follows fragments, @skip/@include with their variables, and the chosen operation', () => {
    expect(cost('{ ...F } fragment F on Query { counter(namespace: "a", name: "b") { count } }')).toBe(2);
    const q = 'query ($s: Boolean!) { counter(namespace: "a", name: "b") @skip(if: $s) { count } }';
    expect(cost(q, { s: true })).toBe(0);
    expect(cost(q, { s: false })).toBe(2);
    const two = 'query A { namespaces { name } } query B { namespace(name: "x") { name } }';
    expect(cost(two, {}, 'A')).toBe(20);
    expect(cost(two, {}, 'B')).toBe(1);
  });

  it('is undefined when the variables do not coerce, tooLarge past the node budget', () => {
    const q = 'query ($n: [String!]!) { counters(namespace: "a", names: $n) { count } }';
    expect(cost(q, { n: 'x' })).toBe(2); // a single value coerces to a list of one
    expect(cost(q, { n: 5 })).toBeUndefined();
    expect(cost(q, {})).toBeUndefined();
    const spreads = `{ ...A } fragment A on Query { ${'...B '.repeat(200)}} fragment B on Query { ${'...C '.repeat(200)}} fragment C on Query { __typename }`;
    expect(estimateCost(schema, parse(spreads), undefined, {}, 10_000)).toBe('tooLarge');
  });
});
