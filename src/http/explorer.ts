import type { IncomingMessage, ServerResponse } from 'node:http';
import { EXPLORER_PREFIX, loadAssets, serveAsset, type Asset } from './explorerAssets';

/**
 * The explorer: GraphiQL at GET /graphql for a browser's navigation (`Accept` preferring
 * text/html), every file of it served by this service (explorerAssets.ts), so it works with
 * no network beyond the service itself. Apollo's landing page is off (it loads from a CDN).
 * Everything else at /graphql (clients' GETs and POSTs) goes to GraphQL as before.
 */

/** Handles the request when it is the explorer's (true), else leaves it to the other routes. */
export type ExplorerRoute = (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean;

/** What GraphQL clients ask for; the page is served only when text/html beats all of them. */
const GRAPHQL_TYPES = ['application/graphql-response+json', 'application/json', 'multipart/mixed'];

interface Range {
  type: string;
  subtype: string;
  q: number;
  index: number;
}

function parseAccept(header: string): Range[] {
  const ranges: Range[] = [];
  header.split(',').forEach((part, index) => {
    const [media, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const m = /^([a-z0-9!#$%&'*+.^_`|~-]+)\/([a-z0-9!#$%&'*+.^_`|~-]+)$/.exec(media ?? '');
    if (!m) return;
    const qp = params.find((p) => p.startsWith('q='));
    const q = qp === undefined ? 1 : /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(qp.slice(2)) ? Number(qp.slice(2)) : Number.NaN;
    if (!Number.isNaN(q)) ranges.push({ type: m[1]!, subtype: m[2]!, q, index });
  });
  return ranges;
}

/** The range that decides a media type (RFC 9110 12.5.1: the most specific one that matches). */
function rangeFor(ranges: Range[], mediaType: string): Range | undefined {
  const [type, subtype] = mediaType.split('/');
  const specificity = (r: Range): number => (r.type === type && r.subtype === subtype ? 3 : r.type === type && r.subtype === '*' ? 2 : r.type === '*' && r.subtype === '*' ? 1 : 0);
  let best: Range | undefined;
  for (const r of ranges) if (specificity(r) > 0 && (!best || specificity(r) > specificity(best))) best = r;
  return best;
}

/**
 * Whether `Accept` asks for HTML over GraphQL's JSON, as a browser's navigation does
 * (`text/html,...,*\/*;q=0.8`). text/html must be named itself: a `*\/*` client (curl,
 * fetch's default) gets GraphQL. On equal weights the one listed first wins.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const html = ranges.find((r) => r.type === 'text' && r.subtype === 'html');
  if (!html || html.q === 0) return false;
  return GRAPHQL_TYPES.every((t) => {
    const r = rangeFor(ranges, t);
    return !r || html.q > r.q || (html.q === r.q && html.index < r.index);
  });
}

/** A Host header fit to name in a policy (a name or an IP literal, an optional port); else none. */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The one inline style sheet GraphiQL writes: react-remove-scroll-bar's scroll lock while a
 * dialog is open. Its text depends only on the page's scrollbar gap and body margins, all 0
 * here (explorer.css: no margins, the document never scrolls), so one hash allows exactly it.
 * A graphiql upgrade that changes it shows up as a CSP error in explorer.browser.test.ts.
 */
const SCROLL_LOCK_STYLE = "'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='";

/**
 * The page's Content-Security-Policy: scripts, styles and requests to this origin only, no
 * inline script (the boot code is a served file) and no inline style but the scroll lock's,
 * the websocket of this same host named explicitly (older browsers do not let 'self' cover
 * ws:/wss:), fonts and images also from data: URLs (graphiql's stylesheet embeds its fonts
 * and icons), no framing.
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const ws = host && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' ${SCROLL_LOCK_STYLE}`,
    `connect-src 'self'${ws}`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The page. Asset URLs are relative (graphql/explorer/...): behind a proxy that mounts the
 * service under a prefix (/api/graphql) they still resolve to the same prefix; the boot code
 * likewise takes its endpoint from the page's own address.
 */
export function explorerPage(assets: Iterable<Asset>): string {
  const tags: string[] = [];
  for (const a of assets) {
    const href = a.url.slice(1);
    tags.push(a.url.endsWith('.css') ? `<link rel="stylesheet" href="${href}">` : `<script defer src="${href}"></script>`);
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Counter service · GraphiQL</title>
<link rel="icon" href="data:,">
${tags.join('\n')}
</head>
<body>
<div id="graphiql"><p class="explorer-loading">Loading the explorer…</p></div>
<noscript>The explorer needs JavaScript. GraphQL itself answers at this address (POST, or GET with ?query=).</noscript>
</body>
</html>
`;
}

/** Builds the explorer's route: reads its assets now, so a missing file stops the start. */
export function createExplorer(): ExplorerRoute {
  const assets = loadAssets();
  const page = Buffer.from(explorerPage(assets.values()));
  return (req, res, pathname) => {
    if (pathname.startsWith(EXPLORER_PREFIX)) {
      serveAsset(assets, req, res, pathname);
      return true;
    }
    if (pathname !== '/graphql' || req.method !== 'GET' || !prefersHtml(req.headers.accept)) return false;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': page.length,
      'content-security-policy': contentSecurityPolicy(req.headers.host),
      // The same URL answers JSON to clients: caches must key on Accept, and revalidate.
      vary: 'accept',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    res.end(page);
    return true;
  };
}
