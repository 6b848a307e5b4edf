import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptsGzip, ASSET_SOURCES, loadAssets, matchesEtag, serveAsset, sourcePath } from '../../../../src/http/explorerAssets';

describe('the explorer asset allow-list', () => {
  const assets = loadAssets();

  it('finds every source file, from the installed packages and beside the module', () => {
    for (const src of ASSET_SOURCES) expect(fs.existsSync(sourcePath(src))).toBe(true);
    expect(assets.size).toBe(ASSET_SOURCES.length);
  });

  it('serves each at a content-hashed path under /graphql/explorer/, the hash changing with the bytes', () => {
    for (const [url, a] of assets) {
      expect(url).toMatch(/^\/graphql\/explorer\/[a-z-]+\.[A-Za-z0-9_-]{16}\.(js|css)$/);
      expect(a.url).toBe(url);
      expect(a.type).toMatch(url.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
    }
    const other = loadAssets([{ name: 'x.js', file: 'explorer.boot.js' }]);
    const same = [...assets.values()].find((a) => a.name === 'explorer.js')!;
    expect([...other.values()][0]!.etag).toBe(same.etag);
  });

  it('refuses a source whose type it cannot name', () => {
    expect(() => loadAssets([{ name: 'notes.txt', file: 'explorer.css' }])).toThrow(/no content type/);
  });

  it('fails loudly when a source file is missing', () => {
    expect(() => loadAssets([{ name: 'gone.js', pkg: 'graphiql', file: 'no-such-file.js' }])).toThrow(/ENOENT/);
  });
});

/** A request and a response just real enough for serveAsset (headers, status, body). */
function exchange(method: string, headers: Record<string, string>) {
  const out = { status: 0, headers: {} as Record<string, unknown>, body: Buffer.alloc(0), done: Promise.resolve() };
  let finish!: () => void;
  out.done = new Promise((r) => (finish = r));
  const res = {
    headersSent: false,
    writeHead(status: number, h: Record<string, unknown>) {
      out.status = status;
      out.headers = h;
      this.headersSent = true;
      return this;
    },
    end(body?: Buffer | string) {
      if (body) out.body = Buffer.from(body);
      finish();
      return this;
    },
  };
  const req = Object.assign(new PassThrough(), { method, headers }) as unknown as IncomingMessage;
  return { req, res: res as unknown as ServerResponse, out };
}

describe('serveAsset', () => {
  const assets = loadAssets();
  const css = [...assets.values()].find((a) => a.name === 'explorer.css')!;

  it('answers the bytes with a long immutable cache, an ETag and nosniff', async () => {
    const { req, res, out } = exchange('GET', {});
    serveAsset(assets, req, res, css.url);
    await out.done;
    expect(out.status).toBe(200);
    expect(out.body.equals(css.body)).toBe(true);
    expect(out.headers).toMatchObject({ 'cache-control': 'public, max-age=31536000, immutable', etag: css.etag, 'x-content-type-options': 'nosniff', 'content-type': css.type });
  });

  it('gzips when asked, under a tag of its own', async () => {
    const { req, res, out } = exchange('GET', { 'accept-encoding': 'gzip, deflate, br' });
    serveAsset(assets, req, res, css.url);
    await out.done;
    expect(out.headers['content-encoding']).toBe('gzip');
    expect(out.headers.etag).not.toBe(css.etag);
    expect(gunzipSync(out.body).equals(css.body)).toBe(true);
  });

  it('answers 304 to a matching If-None-Match, and HEAD without a body', async () => {
    const a = exchange('GET', { 'if-none-match': css.etag });
    serveAsset(assets, a.req, a.res, css.url);
    await a.out.done;
    expect(a.out.status).toBe(304);
    expect(a.out.body.length).toBe(0);
    const h = exchange('HEAD', {});
    serveAsset(assets, h.req, h.res, css.url);
    await h.out.done;
    expect([h.out.status, h.out.body.length, h.out.headers['content-length']]).toEqual([200, 0, css.body.length]);
  });

  it.each([
    '/graphql/explorer/explorer.css',
    '/graphql/explorer/graphiql.min.js',
    '/graphql/explorer/../../package.json',
    '/graphql/explorer/%2e%2e/%2e%2e/package.json',
    `${'/graphql/explorer/explorer.css'}/`,
    '/graphql/explorer/',
  ])('404 for %j, a path not on the list', async (p) => {
    const { req, res, out } = exchange('GET', {});
    serveAsset(assets, req, res, p);
    await out.done;
    expect(out.status).toBe(404);
  });

  it('405 for a method other than GET and HEAD', async () => {
    const { req, res, out } = exchange('POST', {});
    serveAsset(assets, req, res, css.url);
    await out.done;
    expect(out.status).toBe(405);
    expect(out.headers.allow).toBe('GET, HEAD');
  });
});

describe('acceptsGzip and matchesEtag', () => {
  it.each([
    ['gzip, deflate, br', true],
    ['br;q=1, gzip;q=0.5', true],
    ['*', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['gzip;q=0', false],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
    ['br', false],
    ['', false],
    [undefined, false],
  ])('accept-encoding %j: gzip %s', (header, yes) => {
    expect(acceptsGzip(header)).toBe(yes);
  });

  it('matches a listed, weak or wildcard tag, and nothing else', () => {
    expect(matchesEtag('"a", "b"', '"b"')).toBe(true);
    expect(matchesEtag('W/"b"', '"b"')).toBe(true);
    expect(matchesEtag('*', '"b"')).toBe(true);
    expect(matchesEtag('"bb"', '"b"')).toBe(false);
    expect(matchesEtag(undefined, '"b"')).toBe(false);
  });
});
