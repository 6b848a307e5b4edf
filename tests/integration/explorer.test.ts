import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { loadAssets } from '../../src/http/explorerAssets';
import { startServer, type TestServer } from './helpers/server';

/**
 * The explorer's routing over real HTTP: which GET /graphql gets the page, what the page and
 * its assets answer with, and GRAPHQL_EXPLORER / NODE_ENV turning it off. The browser side
 * (the page working offline) is explorer.browser.test.ts.
 */
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const TYPENAME = '?query=%7B__typename%7D';

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });
/** The asset URLs the page names, absolute. */
const assetUrls = (html: string, base: string): string[] => [...html.matchAll(/(?:src|href)="(graphql\/explorer\/[^"]+)"/g)].map((m) => new URL(m[1]!, base).href);

/** A GET sent with its path exactly as given (fetch would normalize `..` away) and read raw (fetch would decode gzip). */
function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path, headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: r.statusCode!, headers: r.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

/** A GET that Apollo serves as GraphQL: its CSRF rule wants a preflight-forcing header. */
async function expectGraphql(res: Response): Promise<void> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/json/);
  expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
}

describe('the explorer over HTTP', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(() => s.stop());

  it("serves GraphiQL to a browser's navigation, with a strict policy", async () => {
    const res = await get(s.url, { accept: BROWSER });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const host = new URL(s.url).host;
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self';");
    expect(csp).toMatch(/style-src 'self' 'sha256-[^']+';/);
    expect(csp).toContain(`connect-src 'self' ws://${host} wss://${host};`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe');
    expect(res.headers.get('vary')).toBe('accept');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).toContain('<div id="graphiql">');
    expect(assetUrls(html, s.url)).toHaveLength(7);
  });

  it('still answers GraphQL to every other GET and POST at /graphql', async () => {
    const preflight = { 'apollo-require-preflight': 'true' };
    await expectGraphql(await get(s.url + TYPENAME, { accept: 'application/json', ...preflight }));
    await expectGraphql(await get(s.url + TYPENAME, { accept: '*/*', ...preflight }));
    await expectGraphql(await get(s.url + TYPENAME, { accept: 'application/graphql-response+json, text/html;q=0.9', ...preflight }));
    // A POST is never the page, whatever it accepts.
    const post = await fetch(s.url, { method: 'POST', headers: { accept: BROWSER, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    await expectGraphql(post);
  });

  it('serves every asset the page names, hashed, cached for a year, with an ETag, gzip and 304', async () => {
    const html = await (await get(s.url, { accept: BROWSER })).text();
    const urls = assetUrls(html, s.url);
    for (const url of urls) {
      const res = await get(url, { 'accept-encoding': 'identity' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(url.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const etag = res.headers.get('etag')!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{16}"$/);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
      const again = await get(url, { 'accept-encoding': 'identity', 'if-none-match': etag });
      expect(again.status).toBe(304);
    }
    // The big bundle, compressed on the wire (node's fetch would decode it: read it raw).
    const graphiql = urls.find((u) => /graphiql\.[^/]+\.js$/.test(u))!;
    const raw = await rawGet(s.url, new URL(graphiql).pathname, { 'accept-encoding': 'gzip, deflate, br' });
    expect(raw.status).toBe(200);
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.headers.vary).toBe('accept-encoding');
    const plain = gunzipSync(raw.body);
    expect(raw.body.length).toBeLessThan(plain.length / 3);
    expect(plain.toString('utf8')).toContain('window.GraphiQL');
  });

  it.each([
    '/graphql/explorer/graphiql.min.js',
    '/graphql/explorer/../package.json',
    '/graphql/explorer/%2e%2e/%2e%2e/package.json',
    '/graphql/explorer/..%2f..%2fpackage.json',
    '/graphql/explorer/',
    '/graphql/explorer/react.js?../../package.json',
  ])('answers 404 for %s (not on the allow-list)', async (p) => {
    const res = await rawGet(s.url, p, { accept: BROWSER });
    expect(res.status).toBe(404);
    expect(res.body.toString()).toBe('not found');
  });

  it('leaves paths beside the prefix alone', async () => {
    expect((await rawGet(s.url, '/graphql/explorer', { accept: BROWSER })).status).toBe(404);
    expect((await rawGet(s.url, '/graphql/explorer', { accept: BROWSER })).body.toString()).toMatch(/GraphQL is at \/graphql/);
  });
});

describe('the explorer built', () => {
  it('finds the same files from dist/ as from the sources (the boot code and style sheet stay in src/http/)', () => {
    // globalSetup built dist/; `npm start` runs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const built = require('../../dist/src/http/explorerAssets.js') as { loadAssets: typeof loadAssets };
    expect([...built.loadAssets().keys()]).toEqual([...loadAssets().keys()]);
  });
});

describe('the explorer turned off', () => {
  // The same files, so the same hashed paths, as any running service.
  const anAsset = [...loadAssets().keys()][0]!;
  const navigation = async (env: Record<string, string>): Promise<{ page: boolean; asset: number; graphql: Response }> => {
    const s = await startServer(env);
    try {
      const res = await get(s.url, { accept: BROWSER });
      const body = await res.text();
      const asset = (await rawGet(s.url, anAsset)).status;
      const graphql = await get(s.url + TYPENAME, { accept: 'application/json', 'apollo-require-preflight': 'true' });
      return { page: res.headers.get('content-type')?.startsWith('text/html') === true || body.includes('graphiql'), asset, graphql };
    } finally {
      await s.stop();
    }
  };

  it.each([
    ['GRAPHQL_EXPLORER=false', { GRAPHQL_EXPLORER: 'false' }],
    ['NODE_ENV=production', { NODE_ENV: 'production' }],
  ])('by %s: a browser GET is not the page, its assets are not served, GraphQL answers', async (_what, env) => {
    const r = await navigation(env);
    expect(r.page).toBe(false);
    expect(r.asset).toBe(404);
    await expectGraphql(r.graphql);
  });

  it('NODE_ENV=production with GRAPHQL_EXPLORER=true serves it', async () => {
    const r = await navigation({ NODE_ENV: 'production', GRAPHQL_EXPLORER: 'true' });
    expect(r.page).toBe(true);
    expect(r.asset).toBe(200);
  });
});
