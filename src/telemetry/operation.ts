import { Lexer, Source, TokenKind } from 'graphql';

/** How far the scan for an operation's type goes: a label is not worth a full parse. */
const MAX_TOKENS = 4096;

export interface OperationLabel {
  type: 'query' | 'mutation' | 'subscription';
  name?: string;
}

/**
 * The type (and name) of the operation a request runs, for a span's name, from the tokens of
 * the document at brace depth 0, without parsing it: the transport does not parse (Apollo
 * or the compiled path do), and tracing must not add a second parse of hostile documents.
 * The operation is the one named `operationName`, else the first; a document that does not
 * lex is left unlabelled.
 */
export function operationLabel(query: unknown, operationName: unknown): OperationLabel | undefined {
  if (typeof query !== 'string') return undefined;
  const wanted = typeof operationName === 'string' && operationName !== '' ? operationName : undefined;
  let first: OperationLabel | undefined;
  try {
    const lexer = new Lexer(new Source(query));
    let depth = 0;
    // Inside a fragment definition (its name, type condition and selection set): no operation.
    let fragment = false;
    for (let i = 0; i < MAX_TOKENS; i++) {
      const t = lexer.advance();
      if (t.kind === TokenKind.EOF) break;
      if (t.kind === TokenKind.BRACE_L) {
        // A bare selection set at the top is an anonymous query.
        if (depth === 0 && !fragment) {
          first ??= { type: 'query' };
          if (wanted === undefined) return first;
        }
        depth++;
      } else if (t.kind === TokenKind.BRACE_R) {
        depth--;
        if (depth === 0) fragment = false;
      } else if (depth === 0 && !fragment && t.kind === TokenKind.NAME) {
        if (t.value === 'fragment') fragment = true;
        else if (t.value === 'query' || t.value === 'mutation' || t.value === 'subscription') {
          const next = lexer.lookahead();
          const label: OperationLabel = next.kind === TokenKind.NAME ? { type: t.value, name: next.value } : { type: t.value };
          if (wanted === undefined || label.name === wanted) return label;
          first ??= label;
        }
      }
    }
  } catch {
    return undefined;
  }
  return wanted === undefined ? first : undefined;
}

export const spanName = (label: OperationLabel | undefined): string =>
  label ? (label.name ? `${label.type} ${label.name}` : label.type) : 'graphql';
