import { contentSecurityPolicy, explorerPage, prefersHtml } from '../../../../src/http/explorer';
import { loadAssets } from '../../../../src/http/explorerAssets';

describe('prefersHtml: which GET /graphql is a browser asking for the explorer', () => {
  it.each([
    ['Chromium navigation', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7'],
    ['Firefox navigation', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ['Safari navigation', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ['plain text/html', 'text/html'],
    ['html listed first at an equal weight', 'text/html, application/json'],
    ['html weighted above JSON', 'application/json;q=0.5, text/html'],
    ['upper case and spaces', ' TEXT/HTML ; q=1 , */* ; q=0.1'],
  ])('yes for %s', (_what, accept) => {
    expect(prefersHtml(accept)).toBe(true);
  });

  it.each([
    ['no Accept', undefined],
    ['an empty Accept', ''],
    ['curl and fetch defaults', '*/*'],
    ['Apollo Client', 'application/graphql-response+json,application/json;q=0.9'],
    ['GraphiQL own fetcher', 'application/json, multipart/mixed'],
    ['urql', 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed'],
    ['JSON listed first at an equal weight', 'application/json, text/html'],
    ['JSON weighted above html', 'text/html;q=0.5, application/json'],
    ['html refused', 'text/html;q=0, */*'],
    ['html only through a wildcard', 'text/*'],
    ['html with a malformed weight', 'text/html;q=high'],
    ['html with a weight above 1', 'text/html;q=2'],
    ['a malformed range only', 'text/html/extra'],
    ['an incremental delivery client', 'multipart/mixed;deferSpec=20220824, text/html;q=0.9'],
  ])('no for %s', (_what, accept) => {
    expect(prefersHtml(accept)).toBe(false);
  });

  it('a JSON type refused outright does not hold html back', () => {
    expect(prefersHtml('application/json;q=0, text/html;q=0.1')).toBe(true);
  });
});

describe('contentSecurityPolicy', () => {
  const directives = (csp: string): Map<string, string> => new Map(csp.split('; ').map((d) => [d.split(' ')[0]!, d.slice(d.indexOf(' ') + 1)]));

  it("allows scripts, styles and connections to 'self' only, plus the websocket of the same host", () => {
    const d = directives(contentSecurityPolicy('localhost:4000'));
    expect(d.get('default-src')).toBe("'none'");
    expect(d.get('script-src')).toBe("'self'");
    // 'self' and the one hash of GraphiQL's scroll lock, no 'unsafe-inline'.
    expect(d.get('style-src')).toMatch(/^'self' 'sha256-[A-Za-z0-9+/]{43}='$/);
    expect(d.get('connect-src')).toBe("'self' ws://localhost:4000 wss://localhost:4000");
    expect(d.get('frame-ancestors')).toBe("'none'");
    expect(d.get('base-uri')).toBe("'none'");
    // No inline code anywhere, no eval.
    expect(contentSecurityPolicy('localhost:4000')).not.toMatch(/unsafe-|\*|https?:/);
  });

  it.each(['127.0.0.1:4000', 'counters.example.com', '[::1]:4000', 'a-b.c'])('names the host %j', (host) => {
    expect(directives(contentSecurityPolicy(host)).get('connect-src')).toBe(`'self' ws://${host} wss://${host}`);
  });

  // The Host header is the client's to choose: nothing from it may add a source or a directive.
  it.each([undefined, '', 'evil.com; script-src *', 'a b', 'x.com/path', 'user@x.com', '*.example.com', "'unsafe-inline'", 'x.com:port', '-bad.com'])(
    'names no host for %j',
    (host) => {
      expect(directives(contentSecurityPolicy(host)).get('connect-src')).toBe("'self'");
      expect(contentSecurityPolicy(host).split('; ')).toHaveLength(9);
    },
  );
});

describe('explorerPage', () => {
  const assets = [...loadAssets().values()];
  const html = explorerPage(assets);

  it('loads every allow-listed asset, by a relative URL under graphql/explorer/, and nothing else', () => {
    const refs = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs).toEqual(['data:,', ...assets.map((a) => a.url.slice(1))]);
    for (const a of assets) expect(a.url.startsWith('/graphql/explorer/')).toBe(true);
  });

  it('has no inline script or style, and runs the boot code last', () => {
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const scripts = [...html.matchAll(/<script defer src="([^"]+)">/g)].map((m) => m[1]!);
    expect(scripts.at(-1)).toMatch(/^graphql\/explorer\/explorer\.[A-Za-z0-9_-]{16}\.js$/);
  });
});
