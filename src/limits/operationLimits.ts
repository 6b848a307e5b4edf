import { jsonValuesPast } from './jsonValues';
import {
  GraphQLError,
  Kind,
  TypeInfo,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationRule,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { CounterError } from '../errors';
import { estimateCost } from './cost';
import { hideSuggestions, tokenLimitOf, withCode } from './messages';
import { limitRules } from './rules';
import { limitError, SIZED_ARGUMENTS, type Limits, type SizedArgument } from './settings';
import { checkStructure } from './structure';

/** Longer operation texts are checked every time rather than kept (the cache's memory stays bounded). */
const MAX_CACHED_CHARS = 8192;

/** The operation texts of a GraphQL-over-HTTP request: a POST body's `query` (or a batch's), or GET's `?query=`. */
function queriesOf(body: unknown, search: string): string[] {
  if (body === undefined) {
    const q = new URLSearchParams(search).get('query');
    return q === null ? [] : [q];
  }
  const items = Array.isArray(body) ? body : [body];
  return items.flatMap((b) => (typeof b === 'object' && b !== null && typeof (b as { query?: unknown }).query === 'string' ? [(b as { query: string }).query] : []));
}

/** A list variable's length as GraphQL coerces it (a single value is a list of one); -1 when absent. */
const lengthOf = (v: unknown): number => (v === undefined ? -1 : Array.isArray(v) ? v.length : v === null ? 0 : 1);

/** A list argument of the document given as a variable: its length is only known per request. */
interface VariableList {
  variable: string;
  limit?: keyof Limits;
  subject: SizedArgument['subject'];
}

/** What a document needs checked per request, worked out once per document. */
interface DocumentInfo {
  lists: VariableList[];
  /** Lengths of the variables' default values (`$n: [String!] = [...]`), for a request that omits them. */
  defaults: Map<string, number>;
  /** The variables of @include/@skip conditions: with the lists' lengths, all the cost depends on. */
  conditions: string[];
  /**
   * Costs by operation name and what they depend on (the lists' lengths, the conditions):
   * estimating coerces every variable (~3 ms for 200 addCounts items), a look-up does not.
   */
  costs: Map<string, number | 'tooLarge'>;
}

/** Cost entries kept per document (distinct list lengths an attacker may cycle through). */
const MAX_COSTS_PER_DOCUMENT = 256;

/**
 * The operation limits and the introspection policy (the contract's "Operation limits" and
 * "Access control"), for every transport: Apollo (limitsPlugin plus `rules` and
 * `parseOptions`), the compiled path and the websocket (`parse`, `validate`, `checkRequest`).
 *
 * The order is the point: the token limit stops the parser; the structural walk
 * (structure.ts, no recursion) and our rules run before graphql-js's own validation, so a
 * refused document costs a fraction of a millisecond per kilobyte; the lists passed as
 * variables and the estimated cost are checked per request, before execution.
 */
export class OperationLimits {
  /** The validation rules of the service, the same list on every path. */
  readonly rules: ValidationRule[];
  readonly parseOptions: ParseOptions;
  /** Options of graphql-js's validate: the policy's hints. Apollo takes the same (validationOptions). */
  readonly validationOptions: { hideSuggestions: boolean };
  private readonly info = new WeakMap<DocumentNode, DocumentInfo>();
  /** precheckRequest's verdicts by operation text ('pass' or the refusal), for the texts clients repeat. */
  private readonly verdicts = new LRUCache<string, GraphQLError | 'pass'>({ max: 1000 });

  constructor(
    private readonly schema: GraphQLSchema,
    readonly limits: Limits,
    /** Introspection, "Did you mean" hints and `_service { sdl }` (config.introspection). */
    readonly introspection: boolean,
  ) {
    this.rules = limitRules(limits, introspection);
    this.parseOptions = { maxTokens: limits.tokens };
    this.validationOptions = { hideSuggestions: !introspection };
  }

  /** Parses with the token limit; throws graphql-js's syntax error, or our refusal past LIMIT_TOKENS. */
  parse(source: string): DocumentNode {
    try {
      return parse(source, this.parseOptions);
    } catch (err) {
      if (err instanceof GraphQLError && tokenLimitOf(err.message) !== undefined) throw this.tokenError();
      throw err;
    }
  }

  /** The checks before graphql-js's validation: the structural walk, then our rules (the policy's refusals labelled as Apollo labels them). */
  precheck(document: DocumentNode): readonly GraphQLError[] {
    const structural = checkStructure(document, this.limits);
    if (structural) return [structural];
    return validate(this.schema, document, this.rules).map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
  }

  /** Everything a document must pass: the precheck, then graphql-js's rules (without "Did you mean" hints when the policy says so). */
  validate(document: DocumentNode): readonly GraphQLError[] {
    const early = this.precheck(document);
    return early.length > 0 ? early : validate(this.schema, document, specifiedRules, this.validationOptions);
  }

  /**
   * The precheck of one HTTP request before Apollo gets it: Apollo's own validate runs
   * graphql-js's rules, which recurse once per nested fragment and compare repeated fields
   * pairwise, together with ours in one pass, and an error thrown from a plugin hook before
   * validation is answered 500. Takes a POST body (one operation or a batch) or a GET query
   * string; returns the first refusal, or undefined (a syntax error too: Apollo answers it).
   */
  /** A raw JSON request body with more values than LIMIT_JSON_VALUES, refused before it is parsed (jsonValues.ts). */
  precheckBody(text: string): GraphQLError | undefined {
    const past = jsonValuesPast(text, this.limits.jsonValues);
    return past === undefined ? undefined : limitError('jsonValues', this.limits.jsonValues, 'the number of JSON values in the request body');
  }

  precheckRequest(body: unknown, search: string): GraphQLError | undefined {
    for (const query of queriesOf(body, search)) {
      let verdict = this.verdicts.get(query);
      if (verdict === undefined) {
        verdict = this.precheckSource(query) ?? 'pass';
        if (query.length <= MAX_CACHED_CHARS) this.verdicts.set(query, verdict);
      }
      if (verdict !== 'pass') return verdict;
    }
    return undefined;
  }

  private precheckSource(query: string): GraphQLError | undefined {
    let document: DocumentNode;
    try {
      document = this.parse(query);
    } catch (err) {
      return err instanceof CounterError ? err : undefined;
    }
    return this.precheck(document)[0];
  }

  /** Per request, on a validated document: the lists given as variables, then the estimated cost. */
  checkRequest(document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | null | undefined): GraphQLError | undefined {
    const info = this.documentInfo(document);
    const vars = variables ?? {};
    for (const list of info.lists) {
      if (!list.limit) continue;
      const length = list.variable in vars ? lengthOf(vars[list.variable]) : (info.defaults.get(list.variable) ?? -1);
      const max = this.limits[list.limit];
      if (length > max) return limitError(list.limit, max, list.subject(length), length);
    }
    const op = getOperationAST(document, operationName ?? undefined);
    if (!op) return undefined; // graphql-js refuses it with its own message
    const name = op.name?.value;
    const key = [name ?? '', ...info.lists.map((l) => lengthOf(vars[l.variable])), ...info.conditions.map((c) => String(vars[c]))].join('\u0000');
    let cost = info.costs.get(key);
    if (cost === undefined) {
      cost = estimateCost(this.schema, document, name, vars, Math.max(10_000, this.limits.fields * 10));
      // Not kept when the variables do not coerce: the same lengths may come again valid.
      if (cost !== undefined) {
        if (info.costs.size >= MAX_COSTS_PER_DOCUMENT) info.costs.clear();
        info.costs.set(key, cost);
      }
    }
    if (cost === 'tooLarge') return limitError('cost', this.limits.cost, 'estimated cost (fragments spread too often to estimate)');
    if (cost !== undefined && cost > this.limits.cost) return limitError('cost', this.limits.cost, `estimated cost ${cost}`, cost);
    return undefined;
  }

  /**
   * For every transport's error formatting: a parse stopped by the token limit is our
   * BAD_USER_INPUT refusal (Apollo parses on its own and calls it GRAPHQL_PARSE_FAILED), and
   * with introspection off no message suggests a schema name ("Did you mean ...?").
   */
  formatError = (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    if (tokenLimitOf(formatted.message) !== undefined) {
      const e = this.tokenError();
      return { message: e.message, extensions: { ...formatted.extensions, ...e.extensions } };
    }
    if (this.introspection) return formatted;
    const message = hideSuggestions(formatted.message);
    return message === formatted.message ? formatted : { ...formatted, message };
  };

  private tokenError(): GraphQLError {
    return limitError('tokens', this.limits.tokens, "the document's token count");
  }

  private documentInfo(document: DocumentNode): DocumentInfo {
    let info = this.info.get(document);
    if (info) return info;
    const lists: VariableList[] = [];
    const conditions: string[] = [];
    const defaults = new Map<string, number>();
    const typeInfo = new TypeInfo(this.schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field: (node) => {
          const parent = typeInfo.getParentType();
          const sized = parent ? SIZED_ARGUMENTS[`${parent.name}.${node.name.value}`] : undefined;
          const arg = sized && node.arguments?.find((a) => a.name.value === sized.argument);
          if (arg && arg.value.kind === Kind.VARIABLE) {
            lists.push({ variable: arg.value.name.value, limit: sized.limit, subject: sized.subject });
          }
        },
        VariableDefinition: (node) => {
          const d = node.defaultValue;
          if (d && d.kind !== Kind.NULL) defaults.set(node.variable.name.value, Math.max(defaults.get(node.variable.name.value) ?? 0, d.kind === Kind.LIST ? d.values.length : 1));
        },
        Directive: (node) => {
          if (node.name.value !== 'include' && node.name.value !== 'skip') return;
          for (const a of node.arguments ?? []) if (a.value.kind === Kind.VARIABLE) conditions.push(a.value.name.value);
        },
      }),
    );
    info = { lists, defaults, conditions, costs: new Map() };
    this.info.set(document, info);
    return info;
  }
}
