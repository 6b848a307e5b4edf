import { buildSchema, GraphQLError, Source } from 'graphql';
import { DocumentCache } from '../../../../src/http/documentCache';

const schema = buildSchema('type Query { a: Int } type Subscription { tick(n: Int!): Int }');
const SUB = 'subscription S($n: Int!) { tick(n: $n) }';

describe('DocumentCache (graphql-ws parse and validate hooks)', () => {
  it('gives every subscription of one operation text the same document, validated once', () => {
    const c = new DocumentCache();
    const d1 = c.parse(SUB);
    // A different string object with the same text (every message has its own).
    const d2 = c.parse(JSON.parse(JSON.stringify(SUB)) as string);
    expect(d2).toBe(d1);
    const e1 = c.validate(schema, d1);
    expect(e1).toEqual([]);
    expect(c.validate(schema, d2)).toBe(e1);
  });

  it('keeps validation errors per document, and never caches a text that does not parse', () => {
    const c = new DocumentCache();
    const bad = c.parse('subscription { nope }');
    const errors = c.validate(schema, bad);
    expect(errors[0]).toBeInstanceOf(GraphQLError);
    expect(errors[0]!.message).toMatch(/nope/);
    expect(c.validate(schema, c.parse('subscription { nope }'))).toBe(errors);
    expect(() => c.parse('subscription {')).toThrow(/Syntax Error/);
    expect(() => c.parse('subscription {')).toThrow(/Syntax Error/);
  });

  it('validates again against another schema', () => {
    const c = new DocumentCache();
    const doc = c.parse(SUB);
    expect(c.validate(schema, doc)).toEqual([]);
    expect(c.validate(buildSchema('type Query { a: Int } type Subscription { tick: Int }'), doc).length).toBeGreaterThan(0);
  });

  it('parses a Source object and a text over the entry bound every time', () => {
    const c = new DocumentCache();
    expect(c.parse(new Source(SUB))).not.toBe(c.parse(new Source(SUB)));
    const long = `subscription S($n: Int!) { tick(n: $n) ${' '.repeat(9000)}}`;
    expect(c.parse(long)).not.toBe(c.parse(long));
  });

  it('is bounded by the text it holds: a stream of distinct texts evicts the oldest', () => {
    const c = new DocumentCache();
    const first = c.parse(SUB);
    // ~1.3 MiB of distinct operation texts, more than the cache holds.
    for (let i = 0; i < 300; i++) c.parse(`subscription S${i}($n: Int!) { tick(n: $n) ${'#'.repeat(4000)}\n}`);
    expect(c.parse(SUB)).not.toBe(first);
  });
});
