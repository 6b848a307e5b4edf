/**
 * The media types of GraphQL over HTTP (graphql-over-http spec) and the one choice every path
 * makes the same way: which of them an `Accept` header asks for. Apollo chooses with the
 * `negotiator` package among the same three types (ApolloServer.ts
 * chooseContentTypeForSingleResultResponse); this is that algorithm for these three, so the
 * compiled path and the refusals sent before Apollo runs answer with the type Apollo would.
 */
export const APPLICATION_JSON = 'application/json; charset=utf-8';
export const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';
/** A router's subscription callback protocol (Apollo answers it, never the compiled path). */
export const JSON_GRAPHQL_CALLBACK = 'application/json; callbackSpec=1.0; charset=utf-8';

export type ResponseType = typeof APPLICATION_JSON | typeof GRAPHQL_RESPONSE_JSON | typeof JSON_GRAPHQL_CALLBACK;

interface MediaRange {
  type: string;
  subtype: string;
  params: Record<string, string>;
  q: number;
  /** Its position in the header (earlier wins a tie). */
  order: number;
}

const PROVIDED: readonly ResponseType[] = [APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, JSON_GRAPHQL_CALLBACK];
const PROVIDED_PARSED = PROVIDED.map((t, i) => parseRange(t, i)!);
/** An attacker's Accept header is bounded by Node's header limit; this bounds the work on it. */
const MAX_RANGES = 64;

/**
 * The response type an `Accept` header asks for, or undefined when it accepts none of them
 * (Apollo answers 406). No header, or an empty one, is `application/json` (the spec's
 * "SHOULD assume application/json"; legacy clients send none).
 */
export function responseType(accept: string | undefined): ResponseType | undefined {
  if (!accept) return APPLICATION_JSON;
  const ranges = accept
    .split(',')
    .slice(0, MAX_RANGES)
    .map((r, i) => parseRange(r, i))
    .filter((r): r is MediaRange => r !== undefined);
  let best: { type: ResponseType; q: number; s: number; order: number; index: number } | undefined;
  PROVIDED_PARSED.forEach((p, index) => {
    // The most specific range that matches this type gives its quality: negotiator's rule,
    // comparisons and all (an unparsable q is NaN, which compares as a tie, then never wins).
    let match = { q: 0, s: 0, order: -1 };
    for (const r of ranges) {
      const s = specificity(p, r);
      if (s === undefined) continue;
      if ((match.s - s || match.q - r.q || match.order - r.order) < 0) match = { q: r.q, s, order: r.order };
    }
    if (!(match.q > 0)) return;
    const c = { type: PROVIDED[index]!, ...match, index };
    if (!best || c.q > best.q || (c.q === best.q && (c.s > best.s || (c.s === best.s && (c.order < best.order || (c.order === best.order && c.index < best.index)))))) best = c;
  });
  return best?.type;
}

function specificity(p: MediaRange, r: MediaRange): number | undefined {
  let s = 0;
  if (r.type === p.type) s |= 4;
  else if (r.type !== '*') return undefined;
  if (r.subtype === p.subtype) s |= 2;
  else if (r.subtype !== '*') return undefined;
  const keys = Object.keys(r.params);
  if (keys.length > 0) {
    if (!keys.every((k) => r.params[k] === '*' || r.params[k] === (p.params[k] ?? ''))) return undefined;
    s |= 1;
  }
  return s;
}

function parseRange(text: string, order: number): MediaRange | undefined {
  const [full = '', ...rest] = text.split(';');
  const range = full.trim().toLowerCase();
  const slash = range.indexOf('/');
  if (slash <= 0 || slash === range.length - 1) return undefined;
  const params: Record<string, string> = {};
  let q = 1;
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq === -1) continue;
    const key = param.slice(0, eq).trim().toLowerCase();
    const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (key === 'q') q = Number.parseFloat(value);
    else if (key) params[key] = value;
  }
  return { type: range.slice(0, slash), subtype: range.slice(slash + 1), params, q, order };
}

/** The essence (`type/subtype`, lower case) of a Content-Type header, without its parameters. */
export function essence(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}
