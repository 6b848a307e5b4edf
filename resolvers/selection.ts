import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * Whether the field being resolved selects a nested field path (`['items', 'applied']`),
 * directly, in inline fragments or in named ones. `@skip`/`@include` are not evaluated: a
 * field under either counts as selected, so the answer errs on computing a value nobody
 * reads, never on leaving out one that is read. Aliases do not matter (names are matched).
 */
export function selects(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, path: readonly string[]): boolean {
  // Fragment cycles are refused by validation before execution; the set only keeps a
  // hand-built document from looping.
  const within = (set: SelectionSetNode | undefined, depth: number, spread: Set<string>): boolean => {
    if (!set) return false;
    for (const s of set.selections) {
      if (s.kind === 'Field') {
        if (s.name.value !== path[depth]) continue;
        if (depth === path.length - 1 || within(s.selectionSet, depth + 1, new Set())) return true;
      } else if (s.kind === 'InlineFragment') {
        if (within(s.selectionSet, depth, spread)) return true;
      } else {
        const name = s.name.value;
        if (spread.has(name)) continue;
        spread.add(name);
        if (within(info.fragments[name]?.selectionSet, depth, spread)) return true;
      }
    }
    return false;
  };
  return info.fieldNodes.some((f) => within(f.selectionSet, 0, new Set()));
}

/**
 * A payload's `applied`, which the write computed because the operation selects it
 * (`selects`): undefined here would be a selection missed, answered as an error rather than
 * a guess.
 */
export function appliedAsked(applied: boolean | undefined): boolean {
  if (applied === undefined) throw new Error('applied was not computed for this write (internal: selection not detected)');
  return applied;
}
