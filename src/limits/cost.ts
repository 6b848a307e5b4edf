import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { SIZED_ARGUMENTS } from './settings';

/** What the schema says about a field's cost (`@cost`, `@listSize` on its definition). */
interface FieldCost {
  weight: number;
  list: boolean;
  assumedSize?: number;
  sizedFields?: string[];
}

const directive = (node: { directives?: readonly DirectiveNode[] } | null | undefined, name: string) =>
  node?.directives?.find((d) => d.name.value === name);

const argument = (d: DirectiveNode | undefined, name: string): unknown => {
  const a = d?.arguments?.find((x) => x.name.value === name);
  return a ? valueFromASTUntyped(a.value) : undefined;
};

const weightOf = (d: DirectiveNode | undefined): number | undefined => {
  const w = Number(argument(d, 'weight'));
  return d && Number.isFinite(w) ? w : undefined;
};

const cache = new WeakMap<GraphQLField<unknown, unknown>, FieldCost>();

/**
 * A field's weight and list size from the schema's directives (schema/counter.graphql; they
 * stay on each field's astNode through buildSubgraphSchema). As in the IBM cost spec and the
 * Apollo Router's demand control: `@cost(weight:)` on the field, else on its type, else 1 for
 * an object and 0 for a scalar or enum; a list counts `@listSize(assumedSize:)` elements
 * (1 without it) unless its actual length is known.
 */
function fieldCost(field: GraphQLField<unknown, unknown>): FieldCost {
  let c = cache.get(field);
  if (c) return c;
  const named: GraphQLNamedType = getNamedType(field.type);
  const listSize = directive(field.astNode, 'listSize');
  const assumed = argument(listSize, 'assumedSize');
  const sized = argument(listSize, 'sizedFields');
  c = {
    weight: weightOf(directive(field.astNode, 'cost')) ?? weightOf(directive(named.astNode, 'cost')) ?? (isCompositeType(named) ? 1 : 0),
    list: isListType(getNullableType(field.type)),
    assumedSize: typeof assumed === 'number' ? assumed : undefined,
    sizedFields: Array.isArray(sized) ? sized.map(String) : undefined,
  };
  cache.set(field, c);
  return c;
}

/** The length of a list argument once coerced (a single value is a list of one). */
const lengthOf = (v: unknown): number | undefined => (v === undefined ? undefined : v === null ? 0 : Array.isArray(v) ? v.length : 1);

/**
 * The estimator: a field costs its weight plus its selection's cost, times the list's size
 * for a list field. The size is the actual length of `names` / `inputs` / `representations`
 * when the request gives it (literal or variable), else the schema's assumed size.
 * `@listSize(sizedFields: ["items"])` (addCounts) sizes the payload's list instead of the
 * payload: the size multiplies the payload's selection, which in this schema holds that list
 * beside scalars only (an overestimate, never an under-, if a payload ever grows more lists).
 */
export const directiveEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const c = fieldCost(field as GraphQLField<unknown, unknown>);
  const sizedArg = SIZED_ARGUMENTS[`${type.name}.${field.name}`];
  const size = (sizedArg ? lengthOf(args[sizedArg.argument]) : undefined) ?? c.assumedSize ?? 1;
  if (c.sizedFields) return c.weight + size * childComplexity;
  return c.list ? size * (c.weight + childComplexity) : c.weight + childComplexity;
};

/**
 * The estimated cost of one operation with its variables. `tooLarge` when the estimate had to
 * stop after `maxNodes` selections (fragments spread many times over multiply without bound:
 * each spread is estimated again); undefined when the variables do not coerce (execution
 * refuses those before any resolver runs, with graphql-js's own message).
 */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
  maxNodes: number,
): number | 'tooLarge' | undefined {
  try {
    return getComplexity({ schema, query: document, variables, operationName, estimators: [directiveEstimator], maxQueryNodes: maxNodes });
  } catch (err) {
    return /maximum allowed number of nodes/.test((err as Error).message) ? 'tooLarge' : undefined;
  }
}
