import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, Kind, NoSchemaIntrospectionCustomRule, type ValidationContext, type ValidationRule } from 'graphql';
import { limitError, SIZED_ARGUMENTS, type Limits } from './settings';

/** graphql-armor's messages carry the count it found ("... exceeded, found 14."); ours name the setting. */
const found = (err: GraphQLError): number | undefined => {
  const m = /found (\d+)/.exec(err.message);
  return m ? Number(m[1]) : undefined;
};

/**
 * graphql-armor's rules, reporting our refusal instead of throwing theirs (a rule that throws
 * aborts graphql-js's validate, which Apollo would answer 500). Depth counts field levels:
 * fragments add none (flattenFragments), and `__schema` is left to graphql-js's own
 * introspection depth rule.
 */
export function depthRule(max: number): ValidationRule {
  return maxDepthRule({
    n: max,
    flattenFragments: true,
    propagateOnRejection: false,
    onReject: [(ctx, err) => (ctx as ValidationContext).reportError(limitError('depth', max, `query depth ${found(err) ?? ''}`.trim(), found(err)))],
  });
}

export function aliasesRule(max: number): ValidationRule {
  return maxAliasesRule({
    n: max,
    propagateOnRejection: false,
    onReject: [(ctx, err) => (ctx as ValidationContext).reportError(limitError('aliases', max, `alias count ${found(err) ?? ''}`.trim(), found(err)))],
  });
}

/**
 * The lists the contract bounds, where the document writes them out (`names: ["a", "b"]`,
 * or a single value, which GraphQL coerces to a list of one). A list passed as a variable is
 * only known per request: `checkVariables` in index.ts counts it there.
 */
export function listSizeRule(limits: Limits): ValidationRule {
  return (context) => ({
    Field(node) {
      const parent = context.getParentType();
      const sized = parent ? SIZED_ARGUMENTS[`${parent.name}.${node.name.value}`] : undefined;
      if (!sized?.limit) return;
      const arg = node.arguments?.find((a) => a.name.value === sized.argument);
      if (!arg || arg.value.kind === Kind.VARIABLE || arg.value.kind === Kind.NULL) return;
      const length = arg.value.kind === Kind.LIST ? arg.value.values.length : 1;
      const max = limits[sized.limit];
      if (length > max) context.reportError(limitError(sized.limit, max, sized.subject(length), length));
    },
  });
}

/**
 * With introspection off, `_service { sdl }` goes too: it is the whole schema as text.
 * (Federation composition then needs GRAPHQL_INTROSPECTION=true or an offline supergraph.)
 */
export const NoServiceSdlRule: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '_service' && context.getParentType() === context.getSchema().getQueryType()) {
      context.reportError(
        new GraphQLError('The schema (_service) is not served while introspection is off (GRAPHQL_INTROSPECTION).', { nodes: node }),
      );
    }
  },
});

/** The service's validation rules, one list for every transport (Apollo, the compiled path, the websocket). */
export function limitRules(limits: Limits, introspection: boolean): ValidationRule[] {
  return [
    depthRule(limits.depth),
    aliasesRule(limits.aliases),
    listSizeRule(limits),
    ...(introspection ? [] : [NoSchemaIntrospectionCustomRule, NoServiceSdlRule]),
  ];
}
