import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

/**
 * The explorer's static files: a fixed allow-list, read once when the explorer is built
 * (a missing file stops the start, not a user's page load), and served only by exact URL.
 * No path is ever built from the request: the URL is a key into the table below.
 */

/** Where the asset routes live (under /graphql, so a proxy that forwards /graphql serves them too). */
export const EXPLORER_PREFIX = '/graphql/explorer/';

export interface AssetSource {
  /** The served name before the content hash is put in (graphiql.js -> graphiql.<hash>.js). */
  name: string;
  /** An installed package (resolved through its package.json, so dist/ finds it too); none: a file beside this module. */
  pkg?: string;
  file: string;
}

/** Everything the page loads. Order matters for scripts: globals first, the boot code last. */
export const ASSET_SOURCES: readonly AssetSource[] = [
  { name: 'graphiql.css', pkg: 'graphiql', file: 'graphiql.min.css' },
  { name: 'explorer.css', file: 'explorer.css' },
  { name: 'react.js', pkg: 'react', file: 'umd/react.production.min.js' },
  { name: 'react-dom.js', pkg: 'react-dom', file: 'umd/react-dom.production.min.js' },
  { name: 'graphql-ws.js', pkg: 'graphql-ws', file: 'umd/graphql-ws.min.js' },
  { name: 'graphiql.js', pkg: 'graphiql', file: 'graphiql.min.js' },
  { name: 'explorer.js', file: 'explorer.boot.js' },
];

export interface Asset {
  name: string;
  /** The path it is served at: EXPLORER_PREFIX + name with its content hash. */
  url: string;
  type: string;
  body: Buffer;
  etag: string;
  /** The gzip encoding, made on first demand (graphiql's bundle takes ~0.1 s to compress). */
  gzipped(): Promise<Buffer>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** The file of one source: a package's, or ours (beside this module in src/, or under src/ when running from dist/). */
export function sourcePath(src: AssetSource): string {
  if (src.pkg) return path.join(path.dirname(require.resolve(`${src.pkg}/package.json`)), src.file);
  const candidates = [path.join(__dirname, src.file), path.resolve(__dirname, '..', '..', '..', 'src', 'http', src.file)];
  return candidates.find((p) => fs.existsSync(p)) ?? candidates[0]!;
}

/** Reads every source; the map's keys are the exact request paths. */
export function loadAssets(sources: readonly AssetSource[] = ASSET_SOURCES): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const src of sources) {
    const ext = path.extname(src.name);
    const type = TYPES[ext];
    if (!type) throw new Error(`explorer asset ${src.name}: no content type for ${ext}`);
    const body = fs.readFileSync(sourcePath(src));
    // The hash in the URL is what makes a year-long, immutable cache safe: new content
    // (an upgraded graphiql) is a new URL, and the page itself is revalidated every time.
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
    const url = `${EXPLORER_PREFIX}${src.name.slice(0, -ext.length)}.${hash}${ext}`;
    let gz: Promise<Buffer> | undefined;
    assets.set(url, { name: src.name, url, type, body, etag: `"${hash}"`, gzipped: () => (gz ??= promisify(gzip)(body)) });
  }
  return assets;
}

/** Whether Accept-Encoding lets gzip through: named (or `*`) with a q above 0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qp = params.find((p) => p.startsWith('q='));
    const v = qp === undefined ? 1 : Number(qp.slice(2));
    if (coding && Number.isFinite(v)) q.set(coding, v);
  }
  return (q.get('gzip') ?? q.get('x-gzip') ?? q.get('*') ?? 0) > 0;
}

/** Whether If-None-Match names this representation's tag (or any, with `*`). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** Serves one request under EXPLORER_PREFIX: an allow-listed asset, else 404. */
export function serveAsset(assets: ReadonlyMap<string, Asset>, req: IncomingMessage, res: ServerResponse, pathname: string): void {
  const asset = assets.get(pathname);
  if (!asset) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return void res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed');
  }
  const encoded = acceptsGzip(req.headers['accept-encoding']);
  // A strong tag names one representation: the gzip one gets its own.
  const etag = encoded ? `${asset.etag.slice(0, -1)}-gz"` : asset.etag;
  const headers = {
    'cache-control': 'public, max-age=31536000, immutable',
    etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'same-origin',
  };
  if (matchesEtag(req.headers['if-none-match'], etag)) return void res.writeHead(304, headers).end();
  const send = (body: Buffer): void => {
    res.writeHead(200, { ...headers, 'content-type': asset.type, 'content-length': body.length, ...(encoded ? { 'content-encoding': 'gzip' } : {}) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (!encoded) return send(asset.body);
  asset.gzipped().then(send, (err: Error) => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`compression failed: ${err.message}`);
  });
}
