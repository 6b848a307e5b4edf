import { parse, validate } from 'graphql';
import { buildSchema } from '../../../../resolvers';
import { loadConfig } from '../../../../src/config';
import { aliasesRule, depthRule, limitRules, listSizeRule, NoServiceSdlRule } from '../../../../src/limits/rules';

const schema = buildSchema();
const limits = loadConfig({}).limits;
const run = (q: string, rules = limitRules(limits, true)) => validate(schema, parse(q), rules).map((e) => e.message);

describe('the validation rules', () => {
  it('report instead of throwing (a thrown error would abort validate: Apollo answers 500)', () => {
    const q = `{ ${Array.from({ length: 3 }, (_, i) => `a${i}: namespaces { name }`).join(' ')} }`;
    expect(() => validate(schema, parse(q), [aliasesRule(1), depthRule(1)])).not.toThrow();
    expect(validate(schema, parse(q), [aliasesRule(1), depthRule(1)]).map((e) => e.message)).toEqual([
      'alias count 3 exceeds the limit of 1 (LIMIT_ALIASES)',
      'query depth 2 exceeds the limit of 1 (LIMIT_DEPTH)',
    ]);
  });

  it('count the lists of both counters fields and addCounts, written out; variables are left to the request check', () => {
    const rule = [listSizeRule({ ...limits, countersNames: 2, addCountsItems: 1 })];
    expect(run('{ counters(namespace: "a", names: ["x", "y"]) { count } }', rule)).toEqual([]);
    expect(run('{ counters(namespace: "a", names: ["x", "y", "z"]) { count } }', rule)).toEqual(['counters with 3 names exceeds the limit of 2 (LIMIT_COUNTERS_NAMES)']);
    expect(run('{ namespace(name: "a") { counters(names: ["x", "y", "z"]) { count } } }', rule)).toEqual(['counters with 3 names exceeds the limit of 2 (LIMIT_COUNTERS_NAMES)']);
    expect(run('query ($n: [String!]!) { counters(namespace: "a", names: $n) { count } }', rule)).toEqual([]);
    expect(run('mutation { addCounts(inputs: [{ namespace: "a", name: "b", delta: 1 }, { namespace: "a", name: "b", delta: 1 }]) { acceptedCount } }', rule)).toEqual([
      'addCounts with 2 items exceeds the limit of 1 (LIMIT_ADDCOUNTS_ITEMS)',
    ]);
  });

  it('refuse _service only on Query, and only with introspection off', () => {
    expect(run('{ _service { sdl } }')).toEqual([]);
    expect(run('{ _service { sdl } }', [NoServiceSdlRule])[0]).toContain('_service');
    expect(run('{ __schema { queryType { name } } }', limitRules(limits, false))[0]).toContain('introspection has been disabled');
  });
});
