import { parse } from 'graphql';
import { CounterError } from '../../../../src/errors';
import { checkStructure } from '../../../../src/limits/structure';

const limits = { depth: 10, fields: 200 };
const chain = (n: number, leaf = '__typename') => {
  let q = 'query { ...F0 }\n';
  for (let i = 0; i < n; i++) q += `fragment F${i} on Query { ${i === n - 1 ? leaf : `...F${i + 1}`} }\n`;
  return q;
};
const check = (q: string, l = limits) => checkStructure(parse(q), l);

describe('checkStructure', () => {
  it('passes ordinary documents', () => {
    expect(check('{ namespaces { name } }')).toBeUndefined();
    expect(check('query { ...A ...B } fragment A on Query { ...B } fragment B on Query { __typename }')).toBeUndefined();
  });

  it('passes fragment nesting at the limit and refuses it past the limit', () => {
    expect(check(chain(10))).toBeUndefined();
    const e = check(chain(11));
    expect(e).toBeInstanceOf(CounterError);
    expect(e!.message).toBe('fragment nesting 11 exceeds the limit of 10 (LIMIT_DEPTH)');
    expect(e!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'LIMIT_DEPTH', max: 10 });
  });

  it('walks 50,000 chained fragments without recursing (graphql-js overflows its stack on 5,000)', () => {
    expect(check(chain(50_000))!.message).toContain('(LIMIT_DEPTH)');
  });

  it('counts nesting through a shared fragment once (memoised), on the longest path', () => {
    // A and B both spread C, which nests 9 deep: A -> C... is 10, fine; Z -> A -> C... is 11.
    const q = `${chain(9).replace('query { ...F0 }', 'query { ...A ...B }')}fragment A on Query { ...F0 } fragment B on Query { ...F0 }`;
    expect(check(q)).toBeUndefined();
    expect(check(`${q.replace('query { ...A ...B }', 'query { ...Z ...B }')} fragment Z on Query { ...A }`)!.message).toContain('fragment nesting 11');
  });

  it('refuses a cycle as graphql-js does', () => {
    const e = check('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }');
    expect(e!.message).toBe('Cannot spread fragment "A" within itself.');
    expect(e!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(check('query { ...A } fragment A on Query { ...A }')!.message).toContain('within itself');
  });

  it('leaves unknown fragments to graphql-js', () => {
    expect(check('query { ...Nope }')).toBeUndefined();
  });

  it('counts field selections, fragments included, and refuses past LIMIT_FIELDS', () => {
    expect(check(`{ ${'__typename '.repeat(200)}}`)).toBeUndefined();
    expect(check(`{ ${'__typename '.repeat(201)}}`)!.message).toBe('field selection count 201 exceeds the limit of 200 (LIMIT_FIELDS)');
    expect(check(`query { ...F } fragment F on Query { ${'__typename '.repeat(201)}}`)!.message).toContain('(LIMIT_FIELDS)');
  });
});
