import { parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema, type Source } from 'graphql';
import { LRUCache } from 'lru-cache';

/** Operation text kept parsed, in characters over every entry (the AST of one is ~10-20 times its text). */
const MAX_CACHED_CHARS = 1 << 20;
/** Longer operation texts are parsed every time: real subscriptions are short, and one cannot crowd the others out. */
const MAX_ENTRY_CHARS = 8192;

/**
 * Parses and validates each distinct operation text once, for the websocket's operations. Without it every subscription held an AST of its own for its whole life
 * (the execution keeps its document): ~10 KB of tokens, locations and nodes per subscription,
 * half of its memory, 100 MB at 10,000 subscribers of the same operation. The document is
 * shared read-only (graphql-js never mutates one), its validation result with it.
 *
 * Bounded by the text it holds (LRU), so a stream of distinct texts (an attacker's) costs at
 * most MAX_CACHED_CHARS of them; a text that does not parse is not cached (parse throws as
 * before, every time).
 */
export class DocumentCache {
  /** `parseText` and `check`: the service's own (operation limits, introspection policy) or graphql-js's. */
  constructor(
    private readonly parseText: (text: string) => DocumentNode = (text) => parse(text),
    private readonly check: (schema: GraphQLSchema, doc: DocumentNode) => readonly GraphQLError[] = validate,
  ) {}

  private readonly documents = new LRUCache<string, DocumentNode>({
    maxSize: MAX_CACHED_CHARS,
    maxEntrySize: MAX_ENTRY_CHARS,
    sizeCalculation: (_doc, text) => Math.max(1, text.length),
  });
  /** Validation is a function of schema and document alone: one result per cached document. */
  private readonly validated = new WeakMap<DocumentNode, { schema: GraphQLSchema; errors: readonly GraphQLError[] }>();

  /** The operation's document: the cached one for a text seen before. */
  parse = (source: string | Source): DocumentNode => {
    // graphql-ws passes the message's query string; a Source object is parsed uncached.
    if (typeof source !== 'string') return parse(source);
    const text = source;
    let doc = this.documents.get(text);
    if (doc === undefined) {
      doc = this.parseText(text);
      this.documents.set(text, doc);
    }
    return doc;
  };

  /** graphql-js validate, once per (schema, document). */
  validate = (schema: GraphQLSchema, doc: DocumentNode): readonly GraphQLError[] => {
    const hit = this.validated.get(doc);
    if (hit?.schema === schema) return hit.errors;
    const errors = this.check(schema, doc);
    this.validated.set(doc, { schema, errors });
    return errors;
  };
}
