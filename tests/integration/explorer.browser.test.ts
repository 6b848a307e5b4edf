import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createNamespace, metric, startServer, waitFor, type TestServer } from './helpers/server';

/**
 * The explorer end to end in a real Chromium (Debian's, driven by playwright-core), with
 * every request to another origin aborted: the page loads from the service alone, fetches
 * the schema, runs a query and shows a live counterUpdated value over graphql-ws.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const NS = 'explorer_live';

interface Session {
  page: Page;
  /** Requests to any other origin (each was aborted). */
  elsewhere: string[];
  /** Console errors and uncaught page errors (CSP violations are console errors too). */
  errors: string[];
  sockets: { url: string; closed: boolean; sent: string[] }[];
}

describe('the explorer in a real browser, offline', () => {
  let s: TestServer;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext;
  let session: Session;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
    s = await startServer();
    origin = new URL(s.url).origin;
    await createNamespace(s, NS, 'BEST_EFFORT');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await s.stop();
  });

  beforeEach(async () => {
    // A fresh profile per test: GraphiQL keeps tabs in localStorage.
    context = await browser.newContext();
    const page = await context.newPage();
    session = { page, elsewhere: [], errors: [], sockets: [] };
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      session.elsewhere.push(url);
      return route.abort('internetdisconnected');
    });
    page.on('console', (m) => void (m.type() === 'error' && session.errors.push(m.text())));
    page.on('pageerror', (e) => session.errors.push(`page error: ${e.message}`));
    page.on('websocket', (ws) => {
      const entry = { url: ws.url(), closed: false, sent: [] as string[] };
      session.sockets.push(entry);
      ws.on('framesent', (f) => entry.sent.push(String(f.payload)));
      ws.on('close', () => (entry.closed = true));
    });
  });
  afterEach(async () => {
    await context.close();
    // Asserted after every test: nothing reached for another origin, nothing logged an error.
    expect(session.elsewhere).toEqual([]);
    expect(session.errors).toEqual([]);
  });

  const add = async (name: string, delta: number): Promise<void> => {
    const r = await s.gql(`mutation ($i: AddCountInput!) { addCount(input: $i) { applied } }`, { i: { namespace: NS, name, delta } });
    expect(r.errors).toBeUndefined();
  };

  /** Opens the explorer and waits until GraphiQL has fetched the schema. */
  const open = async (page: Page, search = ''): Promise<Record<string, unknown>> => {
    const introspection = page.waitForResponse((r) => r.request().method() === 'POST' && (r.request().postData() ?? '').includes('IntrospectionQuery'));
    const nav = await page.goto(s.url + search);
    expect(nav?.status()).toBe(200);
    expect(nav?.headers()['content-type']).toMatch(/^text\/html/);
    const res = await introspection;
    expect(res.status()).toBe(200);
    expect(new URL(res.url()).origin).toBe(origin);
    const body = (await res.json()) as { data?: { __schema?: Record<string, unknown> } };
    expect(body.data?.__schema).toBeDefined();
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    return body.data!.__schema!;
  };

  /** GraphiQL's editors are CodeMirror 5 instances: read and write them through their API. */
  type Cm = { getValue(): string; setValue(v: string): void; operationName?: string | null };
  const QUERY = '.graphiql-query-editor .CodeMirror';
  const response = (page: Page) => page.$eval('.graphiql-response .CodeMirror', (el) => (el as unknown as { CodeMirror: Cm }).CodeMirror.getValue());
  const query = (page: Page) => page.$eval(QUERY, (el) => (el as unknown as { CodeMirror: Cm }).CodeMirror.getValue());
  /**
   * Writes the operation into the editor and waits until GraphiQL has parsed it (it does so
   * on a debounce, and runs the operation name it last parsed), as a user's typing would.
   */
  const write = async (page: Page, text: string, operationName: string): Promise<void> => {
    await page.$eval(QUERY, (el, t) => (el as unknown as { CodeMirror: Cm }).CodeMirror.setValue(t), text);
    await waitFor(async () => (await page.$eval(QUERY, (el) => (el as unknown as { CodeMirror: Cm }).CodeMirror.operationName)) === operationName, 5000, 20);
  };
  /** Polls the result pane until it parses as a response with data.<field>. */
  const resultWith = async (page: Page, pick: (data: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> => {
    let last: Record<string, unknown> | undefined;
    await waitFor(async () => {
      try {
        const parsed = JSON.parse(await response(page)) as { data?: Record<string, unknown> };
        if (parsed.data && pick(parsed.data)) return ((last = parsed.data), true);
      } catch {
        // not a complete response yet
      }
      return false;
    }, timeoutMs, 50);
    return last!;
  };
  const run = (page: Page) => page.click('.graphiql-execute-button');

  it('has a real guard: a request to another origin is aborted and recorded', async () => {
    const { page } = session;
    expect(await page.evaluate(() => fetch('http://192.0.2.1/probe').then(() => 'reached', () => 'aborted'))).toBe('aborted');
    expect(session.elsewhere).toEqual(['http://192.0.2.1/probe']);
    session.elsewhere.length = 0;
    session.errors.length = 0;
  });

  it('loads from the service alone, fetches the schema, shows it in the docs, and runs a query showing a count', async () => {
    await add('visits', 7);
    const { page } = session;
    const schema = await open(page);
    expect(schema).toMatchObject({ queryType: { name: 'Query' }, subscriptionType: { name: 'Subscription' } });

    // The page is GraphiQL with this service's schema: the docs explorer lists its root types.
    await page.click('[aria-label="Show Documentation Explorer"]');
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Subscription', { exact: true }).click();
    await docs.getByText('counterUpdated', { exact: true }).first().waitFor();

    expect(await query(page)).toContain('namespaces');
    await write(page, 'query Visits {\n  counter(namespace: "explorer_live", name: "visits") { name count }\n}\n', 'Visits');
    await run(page);
    const data = await resultWith(page, (d) => d.counter !== undefined);
    expect(data.counter).toEqual({ name: 'visits', count: '7' });
  });

  it('opens its dialogs and switches the theme without breaking its own policy', async () => {
    const { page } = session;
    await open(page);
    // Dialogs lock scrolling and themes restyle the page: nothing of it may need an inline style sheet.
    await page.click('[aria-label="Open short keys dialog"]');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.click('[aria-label="Open settings dialog"]');
    await page.getByRole('dialog').getByText('Dark', { exact: true }).click();
    await page.waitForSelector('body.graphiql-dark');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  });

  it('opens a linked operation (?query=) in the editor and runs it', async () => {
    await add('linked', 3);
    const { page } = session;
    const linked = 'query Linked { counter(namespace: "explorer_live", name: "linked") { count } }';
    await open(page, `?query=${encodeURIComponent(linked)}`);
    expect(await query(page)).toBe(linked);
    await run(page);
    expect(await resultWith(page, (d) => d.counter !== undefined)).toEqual({ counter: { count: '3' } });
  });

  it('runs counterUpdated over graphql-ws on the same origin and shows each new value live, and stops it', async () => {
    await add('live', 1);
    const { page } = session;
    await open(page);
    // What the headers editor holds goes in connection_init, where the endpoint reads credentials.
    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    await page.$eval('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror', (el) =>
      (el as unknown as { CodeMirror: Cm }).CodeMirror.setValue('{"authorization": "Bearer explorer-test"}'),
    );
    await write(page, 'subscription Live {\n  counterUpdated(namespace: "explorer_live", name: "live") { name count }\n}\n', 'Live');
    await run(page);
    const first = await resultWith(page, (d) => d.counterUpdated !== undefined);
    expect(first.counterUpdated).toEqual({ name: 'live', count: '1' });
    expect(session.sockets.map((w) => w.url)).toEqual([origin.replace(/^http/, 'ws') + '/graphql']);
    expect(JSON.parse(session.sockets[0]!.sent[0]!)).toEqual({ type: 'connection_init', payload: { authorization: 'Bearer explorer-test' } });
    expect(await metric(s.url, 'counter_subscriptions_active')).toBe(1);

    // A write from another client, over HTTP: the pane shows the new value by itself.
    await add('live', 41);
    const next = await resultWith(page, (d) => (d.counterUpdated as { count?: string } | undefined)?.count === '42');
    expect(next.counterUpdated).toEqual({ name: 'live', count: '42' });
    await add('live', -2);
    await resultWith(page, (d) => (d.counterUpdated as { count?: string } | undefined)?.count === '40');

    // The same button stops it: the subscription ends on the server and the socket closes.
    await run(page);
    await waitFor(async () => (await metric(s.url, 'counter_subscriptions_active')) === 0, 5000, 50);
    await waitFor(() => session.sockets.every((w) => w.closed), 5000, 50);
  });

  it('shows a subscription refused by the server as its error, not a blank pane', async () => {
    const { page } = session;
    await open(page);
    await write(page, 'subscription Missing {\n  counterUpdated(namespace: "no_such_namespace", name: "x") { count }\n}\n', 'Missing');
    await run(page);
    await waitFor(async () => (await response(page)).includes('NAMESPACE_NOT_FOUND'), 10_000, 50);
  });
});
