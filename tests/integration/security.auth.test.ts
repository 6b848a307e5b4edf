import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompiledExecution } from '../../src/http/compiledExecution';
import { bearer, caller, gqlAs, mint, wsCaller, wsRun, AUDIENCE, ISSUER, SECRET, type WsCaller } from './helpers/auth';
import { createNamespace, metric, startServer, waitFor, type GqlResponse, type TestServer } from './helpers/server';
import { watch } from './helpers/subscriptions';

/**
 * Access control end to end (contract "Access control"): a real server with AUTH_JWT_SECRET,
 * real HTTP and real graphql-ws clients. The matrix runs every root field for every kind of
 * caller over both transports, asserts the exact refusal (401 / 4403 / FORBIDDEN at the
 * field's path), and reads back with an admin token that a refused write wrote nothing.
 */

const THIS = 'auth_this';
const OTHER = 'auth_other';
const ROLES = {
  read: 'counters:read',
  write: 'counters:write',
  admin: 'counters:admin',
  readOther: `counters:read:${OTHER}`,
  writeThis: `counters:write:${THIS}`,
} as const;
type Role = keyof typeof ROLES;
type Caller = Role | 'none' | 'bad';
const CALLERS: Caller[] = ['none', 'bad', 'read', 'write', 'admin', 'readOther', 'writeThis'];

const FIELDS = ['counter', 'counters', 'namespace', 'namespaces', '_entities', 'addCount', 'addCounts', 'addAndGetCount', 'clearCount', 'createNamespace', 'updateNamespace', 'deleteNamespace', 'counterUpdated'] as const;
type Field = (typeof FIELDS)[number];

/** The contract's scope table, written out (not derived from the implementation's can()). */
const READERS: Role[] = ['read', 'write', 'admin', 'writeThis'];
const WRITERS: Role[] = ['write', 'admin', 'writeThis'];
const ALLOWED: Record<Field, Role[]> = {
  counter: READERS,
  counters: READERS,
  namespace: READERS,
  namespaces: ['read', 'write', 'admin', 'readOther', 'writeThis'],
  _entities: READERS,
  addCount: WRITERS,
  addCounts: WRITERS,
  addAndGetCount: WRITERS,
  clearCount: WRITERS,
  createNamespace: ['admin'],
  updateNamespace: ['admin'],
  deleteNamespace: ['admin'],
  counterUpdated: READERS,
};

let s: TestServer;
const tokens = {} as Record<Role, string>;
let admin: ReturnType<typeof caller>;
let badToken: string;

beforeAll(async () => {
  s = await startServer({ AUTH_JWT_SECRET: SECRET, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, AUTH_CLOCK_TOLERANCE_MS: 0 });
  for (const role of Object.keys(ROLES) as Role[]) tokens[role] = await mint(ROLES[role]);
  // Signed with another secret, claiming everything: only its signature is wrong.
  badToken = await mint('counters:admin', { key: new TextEncoder().encode('not-the-secret-but-long-enough-to-sign!!') });
  admin = caller(s.url, bearer(tokens.admin));
  await createNamespace(admin, THIS, 'ACCURATE');
  await createNamespace(admin, OTHER, 'ACCURATE');
});
afterAll(() => s.stop());

/** The close code of a refused connection; 'acknowledged' when it was let in instead. */
const refusedWith = (ws: WsCaller): Promise<number | 'acknowledged'> => ws.acked.then((ok): Promise<number | 'acknowledged'> | 'acknowledged' => (ok ? 'acknowledged' : ws.closed));

const authorizationOf = (c: Caller): string | undefined => (c === 'none' ? undefined : bearer(c === 'bad' ? badToken : tokens[c]));

async function countOf(namespace: string, name: string): Promise<string> {
  const r = await admin.gql<{ counter: { count: string } }>('query ($ns: String!, $n: String!) { counter(namespace: $ns, name: $n) { count } }', { ns: namespace, n: name });
  expect(r.errors).toBeUndefined();
  return r.data!.counter.count;
}

async function namespaceExists(name: string): Promise<boolean> {
  const r = await admin.gql<{ namespace: { name: string } | null }>('query ($n: String!) { namespace(name: $n) { name } }', { n: name });
  expect(r.errors).toBeUndefined();
  return r.data!.namespace !== null;
}

interface Operation {
  query: string;
  variables?: Record<string, unknown>;
  /** Sets up what the write will change (clearCount: a count to clear). */
  before?: () => Promise<void>;
  /** Asserts the store after the operation: `applied` says whether the write was allowed to happen. */
  after?: (applied: boolean) => Promise<void>;
}

/** The operation of one matrix case; `tag` keeps every case's counters and namespaces apart. */
function operation(field: Exclude<Field, 'counterUpdated'>, tag: string): Operation {
  const name = `${field}-${tag}`;
  const add = { namespace: THIS, name, delta: '3' };
  const counted = (expected: string) => async (applied: boolean) => expect(await countOf(THIS, name)).toBe(applied ? expected : '0');
  switch (field) {
    case 'counter':
      return { query: 'query ($ns: String!, $n: String!) { counter(namespace: $ns, name: $n) { namespace name count } }', variables: { ns: THIS, n: name } };
    case 'counters':
      return { query: 'query ($ns: String!, $names: [String!]!) { counters(namespace: $ns, names: $names) { name count } }', variables: { ns: THIS, names: [name, `${name}-2`] } };
    case 'namespace':
      return { query: 'query ($n: String!) { namespace(name: $n) { name mode } }', variables: { n: THIS } };
    case 'namespaces':
      return { query: '{ namespaces { name } }' };
    case '_entities':
      return {
        query: 'query ($reps: [_Any!]!) { _entities(representations: $reps) { __typename ... on Counter { namespace name count } ... on Namespace { name } } }',
        variables: { reps: [{ __typename: 'Counter', namespace: THIS, name }, { __typename: 'Namespace', name: THIS }] },
      };
    case 'addCount':
      return { query: 'mutation ($i: AddCountInput!) { addCount(input: $i) { applied counter { count } } }', variables: { i: add }, after: counted('3') };
    case 'addCounts':
      return {
        query: 'mutation ($is: [AddCountInput!]!) { addCounts(inputs: $is) { acceptedCount rejectedCount items { error { code } } } }',
        variables: { is: [add] },
        after: counted('3'),
      };
    case 'addAndGetCount':
      return { query: 'mutation ($i: AddCountInput!) { addAndGetCount(input: $i) { count } }', variables: { i: add }, after: counted('3') };
    case 'clearCount':
      return {
        query: 'mutation ($i: ClearCountInput!) { clearCount(input: $i) { count } }',
        variables: { i: { namespace: THIS, name } },
        before: async () => void expect((await admin.gql(`mutation { addCount(input: {namespace: "${THIS}", name: "${name}", delta: 5}) { applied } }`)).errors).toBeUndefined(),
        after: async (applied) => expect(await countOf(THIS, name)).toBe(applied ? '0' : '5'),
      };
    case 'createNamespace': {
      const ns = `${THIS}_new_${tag}`;
      return {
        query: 'mutation ($i: NamespaceInput!) { createNamespace(input: $i) { name } }',
        variables: { i: { name: ns, mode: 'BEST_EFFORT' } },
        after: async (applied) => expect(await namespaceExists(ns)).toBe(applied),
      };
    }
    case 'updateNamespace': {
      // A fresh namespace per case, so each case's own change is what gets checked.
      const ns = `${THIS}_upd_${tag}`;
      const limit = 4321;
      return {
        query: 'mutation ($i: NamespaceUpdateInput!) { updateNamespace(input: $i) { name acceptLimitMs } }',
        variables: { i: { name: ns, acceptLimitMs: limit } },
        before: () => createNamespace(admin, ns, 'EVENTUAL'),
        after: async (applied) => {
          const r = await admin.gql<{ namespace: { acceptLimitMs: number } }>(`query ($n: String!) { namespace(name: $n) { acceptLimitMs } }`, { n: ns });
          expect(r.data!.namespace.acceptLimitMs).toBe(applied ? limit : 5000);
        },
      };
    }
    case 'deleteNamespace': {
      // A fresh namespace per case: deleted only where the caller is an admin.
      const ns = `${THIS}_del_${tag}`;
      return {
        query: 'mutation ($n: String!) { deleteNamespace(name: $n) { name status } }',
        variables: { n: ns },
        before: () => createNamespace(admin, ns, 'EVENTUAL'),
        after: async (applied) => expect(await namespaceExists(ns)).toBe(!applied),
      };
    }
  }
}

/** An allowed field answered without errors; a refused one is null with exactly FORBIDDEN at its path. */
function expectOutcome(field: Field, role: Role, r: GqlResponse<Record<string, unknown>>, allowed: boolean): void {
  if (allowed) {
    expect(r.errors).toBeUndefined();
    expect(r.data?.[field]).toBeTruthy();
    if (field === 'namespaces') {
      const names = (r.data!.namespaces as { name: string }[]).map((n) => n.name);
      if (role === 'readOther') expect(names).toEqual([OTHER]);
      else if (role === 'writeThis') expect(names).toEqual([THIS]);
      else expect(names).toEqual(expect.arrayContaining([THIS, OTHER]));
    }
    if (field === 'addCounts') expect(r.data!.addCounts).toMatchObject({ acceptedCount: 1, rejectedCount: 0 });
    return;
  }
  const errors = (r.errors ?? []).map((e) => [e.extensions?.code, e.path]);
  if (field === '_entities') {
    expect(errors).toEqual([
      ['FORBIDDEN', ['_entities', 0]],
      ['FORBIDDEN', ['_entities', 1]],
    ]);
    expect(r.data?._entities).toEqual([null, null]);
  } else {
    expect(errors).toEqual([['FORBIDDEN', [field]]]);
    expect(r.data?.[field] ?? null).toBeNull();
  }
}

describe('the auth matrix over HTTP', () => {
  const cases = FIELDS.filter((f) => f !== 'counterUpdated').flatMap((field) => CALLERS.map((c) => [field, c] as const));
  it.each(cases)('%s as %s', async (field, c) => {
    const op = operation(field as Exclude<Field, 'counterUpdated'>, `http-${c}`);
    await op.before?.();
    const r = await gqlAs(s.url, authorizationOf(c), op.query, op.variables);
    if (c === 'none' || c === 'bad') {
      expect(r.status).toBe(401);
      expect(r.errors).toEqual([{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }]);
      expect(r.data).toBeUndefined();
      expect(r.wwwAuthenticate).toMatch(/^Bearer realm="counters"/);
      if (c === 'bad') expect(r.wwwAuthenticate).toContain('error="invalid_token"');
      await op.after?.(false);
      return;
    }
    expect(r.status).toBe(200);
    const allowed = ALLOWED[field].includes(c);
    expectOutcome(field, c, r, allowed);
    await op.after?.(allowed);
  });

  it('a subscription over plain HTTP is refused with 401 before anything else without valid credentials', async () => {
    for (const c of ['none', 'bad'] as const) {
      const r = await gqlAs(s.url, authorizationOf(c), `subscription { counterUpdated(namespace: "${THIS}", name: "x") { count } }`);
      expect(r.status).toBe(401);
      expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('the auth matrix over websocket', () => {
  /** How each role presents its token: every credential source and key case gets used. */
  const connect = (role: Role): WsCaller => {
    const auth = bearer(tokens[role]);
    switch (role) {
      case 'read':
        return wsCaller(s.url, { authorization: auth });
      case 'write':
        return wsCaller(s.url, { Authorization: auth });
      case 'admin':
        return wsCaller(s.url, { AUTHORIZATION: auth });
      case 'readOther':
        return wsCaller(s.url, {}, { authorization: auth }); // the upgrade request's header
      case 'writeThis':
        return wsCaller(s.url, { authorization: auth, other: 'ignored' });
    }
  };
  const clients = {} as Record<Role, WsCaller>;
  beforeAll(async () => {
    for (const role of Object.keys(ROLES) as Role[]) {
      clients[role] = connect(role);
      expect(await clients[role].acked).toBe(true);
    }
  });
  afterAll(() => Promise.all(Object.values(clients).map((c) => c.client.dispose())));

  const refusedCallers = FIELDS.flatMap((field) => (['none', 'bad'] as const).map((c) => [field, c] as const));
  it.each(refusedCallers)('%s as %s: the connection is closed with 4403 and nothing runs', async (field, c) => {
    const op = field === 'counterUpdated' ? { query: `subscription { counterUpdated(namespace: "${THIS}", name: "sub-${c}") { count } }` } : operation(field, `ws-${c}`);
    await (op as Operation).before?.();
    const ws = wsCaller(s.url, c === 'none' ? {} : { authorization: bearer(badToken) });
    await expect(wsRun(ws.client, op.query, (op as Operation).variables)).rejects.toBeDefined();
    expect(await refusedWith(ws)).toBe(4403);
    await (op as Operation).after?.(false);
    await ws.client.dispose();
  });

  const cases = FIELDS.filter((f) => f !== 'counterUpdated').flatMap((field) => (Object.keys(ROLES) as Role[]).map((r) => [field, r] as const));
  it.each(cases)('%s as %s', async (field, role) => {
    const op = operation(field as Exclude<Field, 'counterUpdated'>, `ws-${role}`);
    await op.before?.();
    const r = await wsRun(clients[role].client, op.query, op.variables);
    const allowed = ALLOWED[field].includes(role);
    expectOutcome(field, role, r, allowed);
    await op.after?.(allowed);
  });

  it.each(Object.keys(ROLES) as Role[])('counterUpdated as %s', async (role) => {
    const rec = watch(clients[role].client, THIS, `sub-${role}`);
    try {
      if (ALLOWED.counterUpdated.includes(role)) {
        await rec.waitForCount('0');
        expect(rec.errors).toEqual([]);
      } else {
        const err = await rec.waitForError();
        expect(err.extensions?.code).toBe('FORBIDDEN');
        expect(rec.counts).toEqual([]);
      }
    } finally {
      rec.stop();
    }
  });
});

describe('credentials that are not valid', () => {
  const serve = jest.spyOn(CompiledExecution.prototype, 'serve');
  const now = () => Math.floor(Date.now() / 1000);
  const reasons: [string, () => Promise<string | undefined>, RegExp][] = [
    ['missing', async () => undefined, /missing/],
    ['another scheme', async () => 'Basic dXNlcjpwYXNz', /malformed/],
    ['not a JWT', async () => 'Bearer not-a-jwt', /malformed/],
    ['expired', async () => bearer(await mint('counters:admin', { exp: now() - 5 })), /expired/],
    ['not valid yet', async () => bearer(await mint('counters:admin', { claims: { nbf: now() + 600 } })), /not valid yet/],
    ['without exp', async () => bearer(await mint('counters:admin', { exp: null })), /exp/],
    ['wrongly signed', async () => bearer(badToken), /signature/],
    ['of another issuer', async () => bearer(await mint('counters:admin', { claims: { iss: 'https://evil.test' } })), /issuer/],
    ['for another audience', async () => bearer(await mint('counters:admin', { claims: { aud: 'billing' } })), /aud/],
    ['alg none', async () => bearer(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ scope: 'counters:admin', exp: now() + 60, iss: ISSUER, aud: AUDIENCE })).toString('base64url')}.`), /algorithm/],
  ];

  it.each(reasons)('%s: HTTP 401 UNAUTHENTICATED, the message names why without echoing the token, nothing runs', async (what, authorization, message) => {
    const auth = await authorization();
    const name = `reason-${what.replace(/\W/g, '_')}`;
    const calls = serve.mock.calls.length;
    const add = 'mutation ($i: AddCountInput!) { addCount(input: $i) { applied } }';
    for (let i = 0; i < 3; i++) {
      // Three times: a text seen twice would be compiled; the compiled path must not be reached either.
      const r = await gqlAs(s.url, auth, add, { i: { namespace: THIS, name, delta: '1' } });
      expect(r.status).toBe(401);
      expect(r.errors).toHaveLength(1);
      expect(r.errors![0]!.extensions).toEqual({ code: 'UNAUTHENTICATED' });
      expect(r.errors![0]!.message).toMatch(message);
      if (auth) expect(r.errors![0]!.message).not.toContain(auth.slice(7, 40));
      expect(r.wwwAuthenticate).toMatch(/^Bearer realm="counters"/);
    }
    expect(serve.mock.calls.length).toBe(calls);
    expect(await countOf(THIS, name)).toBe('0');
  });

  it.each(reasons)('%s: a websocket is closed with 4403', async (_what, authorization) => {
    const auth = await authorization();
    const ws = wsCaller(s.url, auth === undefined ? {} : { authorization: auth });
    expect(await refusedWith(ws)).toBe(4403);
    await ws.client.dispose();
  });

  it('GET is checked like POST: 401 without credentials, FORBIDDEN per field with them', async () => {
    const q = encodeURIComponent(`{ namespace(name: "${THIS}") { name } }`);
    const none = await fetch(`${s.url}?query=${q}`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as GqlResponse<unknown>).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Apollo's CSRF prevention wants a preflight-forcing header on GET.
    const other = await fetch(`${s.url}?query=${q}`, { headers: { authorization: bearer(tokens.readOther), 'apollo-require-preflight': 'true' } });
    expect(other.status).toBe(200);
    const body = (await other.json()) as GqlResponse<{ namespace: unknown }>;
    expect(body.data).toEqual({ namespace: null });
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const mutation = await fetch(`${s.url}?query=${encodeURIComponent('mutation { createNamespace(input: {name: "x", mode: EVENTUAL}) { name } }')}`);
    expect(mutation.status).toBe(401);
  });
});

describe('scopes per field and per item', () => {
  const serve = jest.spyOn(CompiledExecution.prototype, 'serve');

  it('the compiled path refuses as Apollo does (the same text sent until it runs compiled)', async () => {
    const q = 'query CompiledForbidden($ns: String!) { counters(namespace: $ns, names: ["a"]) { count } }';
    for (let i = 0; i < 3; i++) {
      const r = await gqlAs(s.url, bearer(tokens.readOther), q, { ns: THIS });
      expect(r.status).toBe(200);
      expect(r.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['counters']]]);
    }
    const answered = await Promise.all(serve.mock.results.slice(-3).map((x) => x.value as Promise<boolean>));
    expect(answered).toContain(true);
  });

  it('a refused field is null with FORBIDDEN, the other fields of the operation run', async () => {
    const r = await gqlAs<{ mine: { count: string }[]; theirs: unknown }>(
      s.url,
      bearer(tokens.readOther),
      `{ mine: counters(namespace: "${OTHER}", names: ["m"]) { count } theirs: namespace(name: "${THIS}") { name } }`,
    );
    expect(r.data).toEqual({ mine: [{ count: '0' }], theirs: null });
    expect(r.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['theirs']]]);
    // A mutation: the allowed field is written even though a later one is refused.
    const m = await gqlAs(s.url, bearer(tokens.writeThis), `mutation { ok: addCount(input: {namespace: "${THIS}", name: "mixed-op", delta: 2}) { applied } no: addCount(input: {namespace: "${OTHER}", name: "mixed-op", delta: 2}) { applied } }`);
    expect(m.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['no']]]);
    expect(await countOf(THIS, 'mixed-op')).toBe('2');
    expect(await countOf(OTHER, 'mixed-op')).toBe('0');
  });

  it('addCounts refuses the items outside a narrowed write scope one by one, and writes the others', async () => {
    const items = [
      { namespace: THIS, name: 'bulk-a', delta: '4' },
      { namespace: OTHER, name: 'bulk-b', delta: '4' },
      { namespace: THIS, name: 'bulk-c', delta: '6' },
    ];
    const r = await gqlAs<{ addCounts: { acceptedCount: number; rejectedCount: number; items: { index: number; applied: boolean; error: { code: string; message: string } | null }[] } }>(
      s.url,
      bearer(tokens.writeThis),
      'mutation ($is: [AddCountInput!]!) { addCounts(inputs: $is) { acceptedCount rejectedCount items { index applied error { code message } } } }',
      { is: items },
    );
    expect(r.errors).toBeUndefined();
    const p = r.data!.addCounts;
    expect([p.acceptedCount, p.rejectedCount]).toEqual([2, 1]);
    expect(p.items.map((i) => [i.index, i.applied, i.error?.code ?? null])).toEqual([
      [0, true, null],
      [1, false, 'FORBIDDEN'],
      [2, true, null],
    ]);
    expect(p.items[1]!.error!.message).toContain(`counters:write:${OTHER}`);
    expect([await countOf(THIS, 'bulk-a'), await countOf(OTHER, 'bulk-b'), await countOf(THIS, 'bulk-c')]).toEqual(['4', '0', '6']);
  });

  it('_entities checks each representation against its own namespace', async () => {
    const r = await gqlAs<{ _entities: unknown[] }>(
      s.url,
      bearer(tokens.readOther),
      'query ($reps: [_Any!]!) { _entities(representations: $reps) { __typename ... on Counter { namespace name count } ... on Namespace { name } } }',
      {
        reps: [
          { __typename: 'Counter', namespace: THIS, name: 'e' },
          { __typename: 'Counter', namespace: OTHER, name: 'e' },
          { __typename: 'Namespace', name: THIS },
          { __typename: 'Namespace', name: OTHER },
        ],
      },
    );
    expect(r.data!._entities).toEqual([null, { __typename: 'Counter', namespace: OTHER, name: 'e', count: '0' }, null, { __typename: 'Namespace', name: OTHER }]);
    expect(r.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([
      ['FORBIDDEN', ['_entities', 0]],
      ['FORBIDDEN', ['_entities', 2]],
    ]);
  });

  it('a namespace the caller may not read is FORBIDDEN whether it exists or not (no existence leak)', async () => {
    const auth = bearer(tokens.readOther);
    for (const ns of [THIS, 'auth_never_created']) {
      const one = await gqlAs(s.url, auth, `{ namespace(name: "${ns}") { name } }`);
      expect(one.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['namespace']]]);
      const c = await gqlAs(s.url, auth, `{ counter(namespace: "${ns}", name: "x") { count } }`);
      expect(c.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    }
    // With the scope, an unknown namespace is what it always was.
    const known = await gqlAs(s.url, bearer(tokens.read), '{ counter(namespace: "auth_never_created", name: "x") { count } }');
    expect(known.errors?.map((e) => e.extensions?.code)).toEqual(['NAMESPACE_NOT_FOUND']);
  });

  it('a namespace-narrowed admin creates that namespace and no other', async () => {
    const auth = bearer(await mint('counters:admin:auth_mine'));
    const mine = await gqlAs(s.url, auth, 'mutation { createNamespace(input: {name: "auth_mine", mode: EVENTUAL}) { name } }');
    expect(mine.errors).toBeUndefined();
    const theirs = await gqlAs(s.url, auth, 'mutation { createNamespace(input: {name: "auth_theirs", mode: EVENTUAL}) { name } }');
    expect(theirs.errors?.map((e) => [e.extensions?.code, e.extensions?.scope])).toEqual([['FORBIDDEN', 'counters:admin:auth_theirs']]);
    expect(await namespaceExists('auth_theirs')).toBe(false);
    // It may write and read its namespace too (admin implies write implies read).
    const add = await gqlAs<{ addAndGetCount: { count: string } }>(s.url, auth, 'mutation { addAndGetCount(input: {namespace: "auth_mine", name: "x", delta: 1}) { count } }');
    expect(add.data?.addAndGetCount.count).toBe('1');
  });

  it('scopes may come as scp (an array), and unknown scopes beside ours are ignored', async () => {
    const auth = bearer(await mint(undefined, { claims: { scp: ['openid', 'counters:frobnicate', `counters:write:${THIS}`, 42] } }));
    const r = await gqlAs(s.url, auth, `mutation { addCount(input: {namespace: "${THIS}", name: "scp", delta: 1}) { applied } }`);
    expect(r.errors).toBeUndefined();
    const no = await gqlAs(s.url, auth, `{ counter(namespace: "${OTHER}", name: "scp") { count } }`);
    expect(no.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});

describe('/metrics, /healthz and /readyz', () => {
  const at = (path: string, authorization?: string) => fetch(s.url.replace(/\/graphql$/, path), { headers: authorization ? { authorization } : {} });

  it('/metrics needs a counters:admin token: 401 without valid credentials, 403 with another scope', async () => {
    const none = await at('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as GqlResponse<unknown>).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await at('/metrics', bearer(badToken))).status).toBe(401);
    const narrow = await at('/metrics', bearer(await mint(`counters:admin:${THIS}`)));
    expect(narrow.status).toBe(403);
    expect(narrow.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect(((await narrow.json()) as GqlResponse<unknown>).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await at('/metrics', bearer(tokens.write))).status).toBe(403);
    const ok = await at('/metrics', bearer(tokens.admin));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('counter_subscriptions_active');
  });

  it('/healthz and /readyz stay open', async () => {
    expect((await at('/healthz')).status).toBe(200);
    expect((await at('/readyz')).status).toBe(200);
  });

  it('METRICS_AUTH=off opens /metrics while GraphQL still needs credentials; refusals are counted', async () => {
    const open = await startServer({ AUTH_JWT_SECRET: SECRET, METRICS_AUTH: 'off' });
    try {
      expect((await fetch(open.url.replace(/\/graphql$/, '/metrics'))).status).toBe(200);
      expect((await open.gql('{ namespaces { name } }')).status).toBe(401);
      const noScope = await gqlAs(open.url, bearer(await mint('other:scope')), `{ namespace(name: "${THIS}") { name } }`);
      expect(noScope.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(await metric(open.url, 'auth_refusals_total', { code: 'UNAUTHENTICATED' })).toBe(1);
      for (const labels of [{ code: 'FORBIDDEN' }, {}] as Record<string, string>[]) expect(await metric(open.url, 'graphql_errors_total', labels)).toBe(1);
    } finally {
      await open.stop();
    }
  });
});

describe('credentials that run out', () => {
  const active = async (): Promise<number> => {
    const text = await (await fetch(s.url.replace(/\/graphql$/, '/metrics'), { headers: { authorization: bearer(tokens.admin) } })).text();
    return Number(/^counter_subscriptions_active (\S+)$/m.exec(text)?.[1] ?? NaN);
  };

  it('a subscription that outlives its token ends with UNAUTHENTICATED, then completes, and is released', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const ws = wsCaller(s.url, { authorization: bearer(await mint('counters:read', { exp })) });
    try {
      expect(await ws.acked).toBe(true);
      const before = await active();
      const rec = watch(ws.client, THIS, 'expiring');
      await rec.waitForCount('0');
      expect(await active()).toBe(before + 1);
      const err = await rec.waitForError(10_000);
      expect(err.extensions?.code).toBe('UNAUTHENTICATED');
      // Ends at exp (tolerance 0 here), not long after it.
      expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
      expect(Date.now()).toBeLessThan(exp * 1000 + 3000);
      await waitFor(() => rec.completed, 3000);
      await waitFor(async () => (await active()) === before, 3000);
      // The connection's credentials are spent: new operations on it are refused too.
      const again = await wsRun(ws.client, `{ counter(namespace: "${THIS}", name: "expiring") { count } }`);
      expect(again.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(again.data).toBeUndefined();
    } finally {
      await ws.client.dispose();
    }
  });
  it('one subscriber whose token runs out ends alone: the others watching the same counter the same way go on', async () => {
    // Same scope, same operation, same counter: one channel of the shared fan-out (src/http/wsFanOut.ts).
    const exp = Math.floor(Date.now() / 1000) + 2;
    const short = wsCaller(s.url, { authorization: bearer(await mint('counters:read', { exp })) });
    const long = [0, 1].map(() => wsCaller(s.url, { authorization: bearer(tokens.read) }));
    try {
      for (const c of [short, ...long]) expect(await c.acked).toBe(true);
      const ending = watch(short.client, THIS, 'shared-expiry');
      const going = long.map((c) => watch(c.client, THIS, 'shared-expiry'));
      for (const r of [ending, ...going]) await r.waitForCount('0');
      expect((await ending.waitForError(10_000)).extensions?.code).toBe('UNAUTHENTICATED');
      await waitFor(() => ending.completed, 3000);
      expect(ending.counts).toEqual(['0']);

      const w = await admin.gql(`mutation { addCount(input: {namespace: "${THIS}", name: "shared-expiry", delta: 4}) { applied } }`);
      expect(w.errors).toBeUndefined();
      for (const r of going) {
        await r.waitForCount('4');
        expect(r.errors).toEqual([]);
        expect(r.completed).toBe(false);
      }
      expect(ending.counts).toEqual(['0']);
      expect(ending.errors.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    } finally {
      await Promise.all([short, ...long].map((c) => c.client.dispose()));
    }
  });
});

describe('subscriptions through a router by HTTP callback (callbackSpec=1.0)', () => {
  interface Message {
    action: string;
    id: string;
    payload?: { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    errors?: { extensions?: { code?: string } }[];
  }
  /** The router's callback endpoint: records every message and answers 204. */
  const messages: Message[] = [];
  const router = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Message);
      res.writeHead(204, { 'subscription-protocol': 'callback/1.0' }).end();
    });
  });
  beforeAll(() => new Promise<void>((r) => router.listen(0, '127.0.0.1', () => r())));
  afterAll(() => new Promise<void>((r) => (router.closeAllConnections(), router.close(() => r()))));
  const of = (id: string, action: string) => messages.filter((m) => m.id === id && m.action === action);

  const subscribe = (id: string, authorization: string | undefined) =>
    fetch(s.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json;callbackSpec=1.0', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({
        query: `subscription { counterUpdated(namespace: "${THIS}", name: "cb") { count } }`,
        extensions: {
          subscription: { callbackUrl: `http://127.0.0.1:${(router.address() as AddressInfo).port}/${id}`, subscriptionId: id, verifier: 'v', heartbeatIntervalMs: 0 },
        },
      }),
    });

  it('needs credentials, and refuses a caller without the scope with FORBIDDEN', async () => {
    expect((await subscribe('cb-none', undefined)).status).toBe(401);
    expect(messages.filter((m) => m.id === 'cb-none')).toEqual([]);
    expect((await subscribe('cb-other', bearer(tokens.readOther))).status).toBe(200);
    await waitFor(() => of('cb-other', 'complete').length === 1, 5000);
    expect(of('cb-other', 'complete')[0]!.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(of('cb-other', 'next')).toEqual([]);
  });

  it('ends at its token\'s exp with UNAUTHENTICATED, then complete', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    expect((await subscribe('cb-exp', bearer(await mint('counters:read', { exp })))).status).toBe(200);
    await waitFor(() => of('cb-exp', 'next').length >= 1, 5000);
    expect(of('cb-exp', 'next')[0]!.payload).toEqual({ data: { counterUpdated: { count: '0' } } });
    await waitFor(() => of('cb-exp', 'complete').length === 1, 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    const sent = [...of('cb-exp', 'next').flatMap((m) => m.payload?.errors ?? []), ...(of('cb-exp', 'complete')[0]!.errors ?? [])];
    expect(sent.map((e) => e.extensions?.code)).toContain('UNAUTHENTICATED');
  });
});
