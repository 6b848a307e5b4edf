import { GraphQLError, Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import { limitError, type Limits } from './settings';

/**
 * The checks that must come before any other validation, written without recursion.
 *
 * graphql-js's NoFragmentCyclesRule (and graphql-armor's counters, and graphql-jit, and the
 * cost estimator) recurse once per nested fragment spread: 5,000 chained fragments overflow
 * the stack, and Apollo answers 500. This walk keeps its own stack (and skips graphql-js's
 * generic `visit`, several times slower), so it is safe and cheap on any document: it refuses a fragment cycle and fragment spreads nested deeper than LIMIT_DEPTH,
 * and counts field selections (LIMIT_FIELDS), whose pairwise overlap check in graphql-js is
 * quadratic (graphql-js gives up after 500,000 comparisons, which takes it ~250 ms). Only documents that pass reach
 * code that recurses or compares pairs.
 */
export function checkStructure(document: DocumentNode, limits: Pick<Limits, 'depth' | 'fields'>): GraphQLError | undefined {
  // Fragment name -> the fragment names it spreads; roots: the operations' spreads.
  const spreads = new Map<string, string[]>();
  const roots: string[] = [];
  let fields = 0;
  const stack: SelectionSetNode[] = [];
  for (const def of document.definitions) {
    let out: string[];
    if (def.kind === Kind.OPERATION_DEFINITION) out = roots;
    else if (def.kind === Kind.FRAGMENT_DEFINITION) {
      out = [];
      // A duplicate name is UniqueFragmentNamesRule's to report; the first one counts here.
      if (!spreads.has(def.name.value)) spreads.set(def.name.value, out);
    } else continue;
    stack.push(def.selectionSet);
    while (stack.length > 0) {
      for (const sel of stack.pop()!.selections) {
        if (sel.kind === Kind.FRAGMENT_SPREAD) out.push(sel.name.value);
        else {
          if (sel.kind === Kind.FIELD) fields++;
          if (sel.selectionSet) stack.push(sel.selectionSet);
        }
      }
    }
  }
  if (fields > limits.fields) return limitError('fields', limits.fields, `field selection count ${fields}`, fields);
  return fragmentDepth(roots, spreads, limits.depth);
}

/** Deepest chain of fragment spreads, by an explicit-stack depth-first walk (memoised; a back edge is a cycle). */
function fragmentDepth(roots: string[], spreads: Map<string, string[]>, max: number): GraphQLError | undefined {
  const depth = new Map<string, number>(); // finished fragments: their chain length
  const onPath = new Set<string>();
  for (const root of roots) {
    if (depth.has(root) || !spreads.has(root)) continue;
    const stack: { name: string; next: number }[] = [{ name: root, next: 0 }];
    onPath.add(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const children = spreads.get(top.name)!;
      if (top.next < children.length) {
        const child = children[top.next++]!;
        if (!spreads.has(child) || depth.has(child)) continue; // unknown: KnownFragmentNamesRule's
        if (onPath.has(child)) {
          return new GraphQLError(`Cannot spread fragment "${child}" within itself.`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
        }
        if (stack.length + 1 > max) {
          return limitError('depth', max, `fragment nesting ${stack.length + 1}`, stack.length + 1);
        }
        onPath.add(child);
        stack.push({ name: child, next: 0 });
        continue;
      }
      let d = 1;
      for (const c of children) d = Math.max(d, 1 + (depth.get(c) ?? 0));
      if (d > max) return limitError('depth', max, `fragment nesting ${d}`, d);
      depth.set(top.name, d);
      onPath.delete(top.name);
      stack.pop();
    }
  }
  return undefined;
}
