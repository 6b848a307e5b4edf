import { GraphQLError, parse } from 'graphql';
import { buildSchema } from '../../../../resolvers';
import { loadConfig } from '../../../../src/config';
import { OperationLimits } from '../../../../src/limits';

const schema = buildSchema();
const limitsOf = (over: Record<string, string | number> = {}, introspection = true) => new OperationLimits(schema, loadConfig({}, over).limits, introspection);
const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);
const messages = (errors: readonly GraphQLError[]) => errors.map((e) => e.message);

describe('OperationLimits', () => {
  const l = limitsOf();

  it('parses with the token limit, refusing past it with BAD_USER_INPUT', () => {
    const small = limitsOf({ LIMIT_TOKENS: 100 });
    expect(() => small.parse(`{ ${'__typename '.repeat(97)}}`)).not.toThrow();
    expect(() => small.parse(`{ ${'__typename '.repeat(99)}}`)).toThrow("the document's token count exceeds the limit of 100 (LIMIT_TOKENS)");
    expect(() => small.parse('{ namespaces {')).toThrow(/Syntax Error/);
  });

  it('validates: the structure and our rules first, then graphql-js\'s', () => {
    expect(l.validate(parse('{ namespaces { name } }'))).toEqual([]);
    expect(messages(l.validate(parse(`{ ${Array.from({ length: 51 }, (_, i) => `a${i}: namespaces { name }`).join(' ')} }`)))).toEqual([
      'alias count 51 exceeds the limit of 50 (LIMIT_ALIASES)',
    ]);
    expect(messages(l.validate(parse(`{ counters(namespace: "a", names: ${JSON.stringify(names(1001))}) { count } }`)))).toEqual([
      'counters with 1001 names exceeds the limit of 1000 (LIMIT_COUNTERS_NAMES)',
    ]);
    const inputs = Array.from({ length: 1001 }, () => '{ namespace: "a", name: "b", delta: 1 }').join(',');
    expect(messages(l.validate(parse(`mutation { addCounts(inputs: [${inputs}]) { acceptedCount } }`)))).toEqual([
      'addCounts with 1001 items exceeds the limit of 1000 (LIMIT_ADDCOUNTS_ITEMS)',
    ]);
    expect(messages(l.validate(parse('{ namespaces { nope } }')))[0]).toMatch(/^Cannot query field "nope" on type "Namespace"./);
  });

  it('measures depth in field levels, fragments adding none', () => {
    const d3 = limitsOf({ LIMIT_DEPTH: 3 });
    expect(d3.validate(parse('{ namespaces { counters(names: []) { count } } }'))).toEqual([]);
    expect(d3.validate(parse('{ ...F } fragment F on Query { namespaces { ...G } } fragment G on Namespace { counters(names: []) { count } }'))).toEqual([]);
    const [e] = d3.validate(parse('mutation { addCounts(inputs: []) { items { counter { count } } } }'));
    expect(e!.message).toBe('query depth 4 exceeds the limit of 3 (LIMIT_DEPTH)');
    expect(e!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'LIMIT_DEPTH', max: 3, actual: 4 });
  });

  it('checks per request the lists given as variables, and the cost', () => {
    const doc = parse('query ($n: [String!]!) { counters(namespace: "a", names: $n) { count } }');
    expect(l.checkRequest(doc, undefined, { n: names(1000) })).toBeUndefined();
    expect(l.checkRequest(doc, undefined, { n: names(1001) })!.message).toBe('counters with 1001 names exceeds the limit of 1000 (LIMIT_COUNTERS_NAMES)');
    const cheap = limitsOf({ LIMIT_COST: 100 });
    expect(cheap.checkRequest(doc, undefined, { n: names(50) })).toBeUndefined();
    expect(cheap.checkRequest(doc, undefined, { n: names(51) })!.message).toBe('estimated cost 102 exceeds the limit of 100 (LIMIT_COST)');
    const withDefault = parse(`query ($n: [String!]! = ${JSON.stringify(names(1001))}) { counters(namespace: "a", names: $n) { count } }`);
    expect(l.checkRequest(withDefault, undefined, {})!.message).toContain('counters with 1001 names');
    expect(l.checkRequest(withDefault, undefined, { n: ['a'] })).toBeUndefined();
    const items = parse('mutation ($is: [AddCountInput!]!) { addCounts(inputs: $is) { acceptedCount } }');
    expect(l.checkRequest(items, undefined, { is: Array.from({ length: 1001 }, () => ({})) })!.message).toContain('(LIMIT_ADDCOUNTS_ITEMS)');
  });

  it('keeps a static cost per document and operation, and recomputes one that depends on the variables', () => {
    const cheap = limitsOf({ LIMIT_COST: 20 });
    const two = parse('query A { namespaces { name } } query B { namespace(name: "x") { name } }');
    expect(cheap.checkRequest(two, 'A', {})).toBeUndefined();
    expect(cheap.checkRequest(two, 'B', {})).toBeUndefined();
    const skip = parse('query ($s: Boolean!) { namespaces { name } x: namespaces @skip(if: $s) { name } }');
    expect(cheap.checkRequest(skip, undefined, { s: true })).toBeUndefined();
    expect(cheap.checkRequest(skip, undefined, { s: false })!.message).toContain('estimated cost 40');
  });

  it('prechecks HTTP requests: POST bodies, batches and GET query strings, remembering verdicts', () => {
    const deep = `query { ...F0 } ${Array.from({ length: 12 }, (_, i) => `fragment F${i} on Query { ${i === 11 ? '__typename' : `...F${i + 1}`} }`).join(' ')}`;
    expect(l.precheckRequest({ query: '{ __typename }' }, '')).toBeUndefined();
    expect(l.precheckRequest({ query: deep }, '')!.message).toContain('(LIMIT_DEPTH)');
    expect(l.precheckRequest({ query: deep }, '')!.message).toContain('(LIMIT_DEPTH)');
    expect(l.precheckRequest([{ query: '{ __typename }' }, { query: deep }], '')!.message).toContain('(LIMIT_DEPTH)');
    expect(l.precheckRequest(undefined, `?query=${encodeURIComponent(deep)}`)!.message).toContain('(LIMIT_DEPTH)');
    expect(l.precheckRequest({ query: '{ broken' }, '')).toBeUndefined(); // Apollo's syntax error
    expect(l.precheckRequest({ notAQuery: 1 }, '')).toBeUndefined();
  });

  it('applies the introspection policy: __schema, __type and _service refused, hints hidden', () => {
    const off = limitsOf({}, false);
    for (const q of ['{ __schema { types { name } } }', '{ __type(name: "Counter") { name } }', '{ _service { sdl } }']) {
      expect(l.validate(parse(q))).toEqual([]);
      const [e] = off.validate(parse(q));
      expect(e!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    expect(messages(l.validate(parse('{ namespaces { nme } }')))[0]).toMatch(/Did you mean "name"\?/);
    expect(messages(off.validate(parse('{ namespaces { nme } }')))).toEqual(['Cannot query field "nme" on type "Namespace".']);
    expect(off.formatError({ message: 'Value "EVENTUALL" does not exist in "CounterMode" enum. Did you mean the enum value "EVENTUAL"?' }).message).toBe(
      'Value "EVENTUALL" does not exist in "CounterMode" enum.',
    );
    expect(l.formatError({ message: 'x. Did you mean "y"?' }).message).toBe('x. Did you mean "y"?');
  });

  it('formats Apollo\'s token-limit parse error as our refusal', () => {
    const f = l.formatError({ message: 'Syntax Error: Document contains more that 10000 tokens. Parsing aborted.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    expect(f).toEqual({
      message: "the document's token count exceeds the limit of 10000 (LIMIT_TOKENS)",
      extensions: { code: 'BAD_USER_INPUT', limit: 'LIMIT_TOKENS', max: 10000 },
    });
  });
});
