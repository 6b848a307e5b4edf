import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { GraphQLError, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import type { RequestContext } from '../../resolvers/context';
import type { Principal } from '../auth/principal';
import type { OperationLimits } from '../limits';
import { APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, responseType } from './mediaTypes';

/** Distinct operation texts kept compiled (clients send a handful; the bound stops an attacker's variety). */
const MAX_OPERATIONS = 500;
/** Longer operation texts are left to Apollo: compiling is only worth it for the hot, short ones. */
const MAX_QUERY_CHARS = 8192;

/** Compiled; left to Apollo for good; or seen once (compiled when it comes again). */
type Entry = CompiledQuery | 'apollo' | 'seen';

export interface CompiledRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/**
 * The hot path of plain GraphQL-over-HTTP requests: each distinct operation text is parsed,
 * validated against the schema and compiled (graphql-jit) once, then executed compiled,
 * skipping Apollo's per-request pipeline (parse/validate cache look-ups by hash, plugin
 * hooks, response shaping). The answer is what Apollo would send: the same JSON, status
 * 200, the content type Apollo negotiates (`application/json` or
 * `application/graphql-response+json`, mediaTypes.ts), `cache-control: no-store`, and
 * errors formatted the same way (`formatError` after GraphQLError's own JSON, a code on
 * every error).
 *
 * Everything else goes to Apollo, which stays the reference: a body with `extensions`
 * (persisted queries), a trace asked for (ftv1, a router's usage reporting), another
 * response type (a router's callback protocol, none acceptable), subscriptions, documents that do not validate, and any request whose
 * variables are refused before execution (Apollo answers those 400: nothing ran). Errors
 * of an execution are formatted here (running it again through Apollo could apply a
 * mutation twice, and would double a query's work).
 */
export class CompiledExecution {
  private readonly cache = new LRUCache<string, Entry>({ max: MAX_OPERATIONS });
  /** The document of each compiled operation: the limits check its variables per request. */
  private readonly documents = new WeakMap<CompiledQuery, DocumentNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    /** The context of one request, for the caller its credentials named (checked before serve). */
    private readonly context: (principal: Principal) => Promise<RequestContext>,
    private readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
    private readonly limits: OperationLimits,
  ) {}

  /** Answers the request and returns true, or returns false (nothing sent) for Apollo to serve it. */
  async serve(body: unknown, headers: IncomingHttpHeaders, res: ServerResponse, principal: Principal): Promise<boolean> {
    const req = eligible(body, headers);
    if (!req) return false;
    // The response type Apollo would choose; a router's callback protocol or none acceptable (406) is Apollo's.
    const type = responseType(headers.accept);
    if (type !== APPLICATION_JSON && type !== GRAPHQL_RESPONSE_JSON) return false;
    const entry = this.entry(req);
    if (entry === 'apollo' || entry === 'seen') return false;
    // Past a limit (a list given as a variable, the estimated cost): Apollo refuses it, the same way.
    if (this.limits.checkRequest(this.documents.get(entry)!, req.operationName, req.variables)) return false;
    const result = await entry.query(undefined, await this.context(principal), req.variables ?? {});
    if (result.errors?.length) {
      // Refused before execution (variables): Apollo answers it (400), nothing ran.
      if (result.data === undefined) return false;
      const errors = result.errors.map((e) => this.formatError(format(e), e));
      return send(res, JSON.stringify({ errors, data: result.data }), type);
    }
    return send(res, entry.stringify({ data: result.data }), type);
  }

  /**
   * An operation is compiled the second time it is seen: compiling (code generation) costs
   * more than Apollo's parse and validate, so a text sent once, or a stream of distinct texts
   * (an attacker's), never pays it; the hot operations of real clients repeat at once.
   */
  private entry(req: CompiledRequest): Entry {
    const key = `${req.operationName ?? ''}\u0000${req.query}`;
    let entry = this.cache.get(key);
    if (entry === undefined) entry = 'seen';
    else if (entry === 'seen') entry = compile(this.schema, req, this.limits, this.documents);
    else return entry;
    this.cache.set(key, entry);
    return entry;
  }
}

function compile(schema: GraphQLSchema, req: CompiledRequest, limits: OperationLimits, documents: WeakMap<CompiledQuery, DocumentNode>): Entry {
  let document: DocumentNode;
  try {
    document = limits.parse(req.query);
  } catch {
    return 'apollo';
  }
  // Refused documents (graphql-js's rules or the limits) are Apollo's to answer.
  if (limits.validate(document).length > 0) return 'apollo';
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  const op = req.operationName ? ops.find((o) => o.name?.value === req.operationName) : ops.length === 1 ? ops[0] : undefined;
  if (!op || op.operation === 'subscription') return 'apollo';
  // Without variables, past a limit (the estimated cost) is for good: not worth compiling.
  if (!op.variableDefinitions?.length && limits.checkRequest(document, req.operationName, {})) return 'apollo';
  const compiled = compileQuery(schema, document, req.operationName ?? undefined);
  if (!isCompiledQuery(compiled)) return 'apollo';
  documents.set(compiled, document);
  return compiled;
}

/** A plain POST body this path serves, or undefined. */
function eligible(body: unknown, headers: IncomingHttpHeaders): CompiledRequest | undefined {
  if (headers['apollo-federation-include-trace'] !== undefined) return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.query !== 'string' || b.query.length > MAX_QUERY_CHARS || b.extensions !== undefined) return undefined;
  if (b.variables !== undefined && b.variables !== null && (typeof b.variables !== 'object' || Array.isArray(b.variables))) return undefined;
  if (b.operationName !== undefined && b.operationName !== null && typeof b.operationName !== 'string') return undefined;
  return b as unknown as CompiledRequest;
}

/** As Apollo formats an execution error: GraphQLError's JSON, with a code (INTERNAL_SERVER_ERROR when it has none). */
function format(e: GraphQLError): GraphQLFormattedError {
  const json = (e instanceof GraphQLError ? e : new GraphQLError(String((e as Error).message ?? e))).toJSON();
  return { ...json, extensions: { ...json.extensions, code: json.extensions?.code ?? 'INTERNAL_SERVER_ERROR' } };
}

function send(res: ServerResponse, body: string, type: string): true {
  // Apollo ends every JSON response with a newline; so do we, byte for byte the same.
  // Every answer here has `data` (a request error is Apollo's): 200 in either response type.
  const json = `${body}\n`;
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(json) });
  res.end(json);
  return true;
}
