import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { appliedAsked, selects } from '../../../resolvers/selection';

/** The info of the operation's first root field, as the executor hands it to the resolver. */
function infoOf(doc: string): { fieldNodes: FieldNode[]; fragments: Record<string, FragmentDefinitionNode> } {
  const parsed = parse(doc);
  const op = parsed.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of parsed.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  return { fieldNodes: [op.selectionSet.selections[0] as FieldNode], fragments };
}

describe('selects', () => {
  it('finds a field selected directly, under an alias too', () => {
    expect(selects(infoOf('mutation { addCount(input: $i) { applied } }'), ['applied'])).toBe(true);
    expect(selects(infoOf('mutation { addCount(input: $i) { wasNew: applied } }'), ['applied'])).toBe(true);
    expect(selects(infoOf('mutation { addCount(input: $i) { counter { count } } }'), ['applied'])).toBe(false);
  });

  it('follows inline and named fragments, nested ones too', () => {
    expect(selects(infoOf('mutation { addCount(input: $i) { ... on AddCountPayload { applied } } }'), ['applied'])).toBe(true);
    expect(selects(infoOf('mutation { addCount(input: $i) { ...P } } fragment P on AddCountPayload { ...Q } fragment Q on AddCountPayload { applied }'), ['applied'])).toBe(true);
    expect(selects(infoOf('mutation { addCount(input: $i) { ...P } } fragment P on AddCountPayload { counter { name } }'), ['applied'])).toBe(false);
  });

  it('walks a path: items, then applied within them', () => {
    expect(selects(infoOf('mutation { addCounts(inputs: $is) { items { applied } } }'), ['items', 'applied'])).toBe(true);
    expect(selects(infoOf('mutation { addCounts(inputs: $is) { items { index error { code } } acceptedCount } }'), ['items', 'applied'])).toBe(false);
    expect(selects(infoOf('mutation { addCounts(inputs: $is) { acceptedCount rejectedCount } }'), ['items', 'applied'])).toBe(false);
    expect(selects(infoOf('mutation { addCounts(inputs: $is) { items { ...I } } } fragment I on AddCountsItem { applied }'), ['items', 'applied'])).toBe(true);
    // a field of the same name at another depth is not the one asked for
    expect(selects(infoOf('mutation { addCounts(inputs: $is) { applied: acceptedCount } }'), ['items', 'applied'])).toBe(false);
  });

  it('counts a field under @skip or @include as selected (computing too much is safe, too little is not)', () => {
    expect(selects(infoOf('mutation { addCount(input: $i) { applied @skip(if: true) } }'), ['applied'])).toBe(true);
    expect(selects(infoOf('mutation { addCount(input: $i) { ... @include(if: $x) { applied } } }'), ['applied'])).toBe(true);
  });

  it('does not loop on a fragment cycle (refused by validation, but a hand-built document could hold one)', () => {
    expect(selects(infoOf('mutation { addCount(input: $i) { ...P } } fragment P on AddCountPayload { ...P }'), ['applied'])).toBe(false);
  });
});

describe('appliedAsked', () => {
  it('passes a computed value and refuses a missing one', () => {
    expect(appliedAsked(true)).toBe(true);
    expect(appliedAsked(false)).toBe(false);
    expect(() => appliedAsked(undefined)).toThrow(/not computed/);
  });
});
