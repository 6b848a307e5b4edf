import fs from 'node:fs';
import path from 'node:path';
import { createNamespace, startServer, tempDir, type TestServer } from './helpers/server';

/** updateNamespace over GraphQL, and COUNTER_NAMESPACES_FILE bringing stored namespaces to the file's settings. */
const UPDATE = `mutation ($input: NamespaceUpdateInput!) {
  updateNamespace(input: $input) { name mode ttlSeconds retentionSeconds acceptLimitMs }
}`;
const ADD = `mutation ($input: AddCountInput!) { addCount(input: $input) { applied counter { count } } }`;

describe('updateNamespace', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
    await createNamespace(s, 'cp-eventual', 'EVENTUAL', { acceptLimitMs: 1000 });
    await createNamespace(s, 'cp-cache', 'BEST_EFFORT', { ttlSeconds: 60 });
  });
  afterAll(() => s.stop());

  const update = (input: Record<string, unknown>) => s.gql<{ updateNamespace: Record<string, unknown> }>(UPDATE, { input });
  const settings = async (name: string) =>
    (await s.gql<{ namespace: Record<string, unknown> }>(`query ($n: String!) { namespace(name: $n) { mode ttlSeconds retentionSeconds acceptLimitMs } }`, { n: name }))
      .data!.namespace;

  it('a larger accept limit takes effect at once: a token 3 s old, refused before, is accepted after', async () => {
    const token = { token: 'late-1', generationTime: new Date(Date.now() - 3000).toISOString() };
    const input = { namespace: 'cp-eventual', name: 'late', delta: 1, idempotencyToken: token };
    const before = await s.gql(ADD, { input });
    expect(before.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_TOKEN_EXPIRED');
    const r = await update({ name: 'cp-eventual', acceptLimitMs: 60_000 });
    expect(r.errors).toBeUndefined();
    expect(r.data!.updateNamespace).toEqual({ name: 'cp-eventual', mode: 'EVENTUAL', ttlSeconds: null, retentionSeconds: 604800, acceptLimitMs: 60_000 });
    const after = await s.gql<{ addCount: { applied: boolean } }>(ADD, { input });
    expect(after.errors).toBeUndefined();
    expect(after.data!.addCount.applied).toBe(true);
    expect(await settings('cp-eventual')).toMatchObject({ acceptLimitMs: 60_000 });
  });

  it('changes only the fields given; null ttlSeconds removes a TTL', async () => {
    const r = await update({ name: 'cp-cache', ttlSeconds: null, acceptLimitMs: 2500 });
    expect(r.errors).toBeUndefined();
    expect(await settings('cp-cache')).toEqual({ mode: 'BEST_EFFORT', ttlSeconds: null, retentionSeconds: 604800, acceptLimitMs: 2500 });
  });

  it('refusals change nothing and carry the contract codes', async () => {
    const before = await settings('cp-eventual');
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'cp-eventual', mode: 'ACCURATE' }, 'NAMESPACE_CONFLICT'],
      [{ name: 'cp-eventual', mode: 'BEST_EFFORT', ttlSeconds: 5 }, 'NAMESPACE_CONFLICT'],
      [{ name: 'cp-eventual', ttlSeconds: 60 }, 'BAD_USER_INPUT'],
      [{ name: 'cp-eventual', retentionSeconds: 59 }, 'BAD_USER_INPUT'],
      [{ name: 'cp-eventual', acceptLimitMs: 0 }, 'BAD_USER_INPUT'],
      [{ name: 'cp-absent', acceptLimitMs: 10 }, 'NAMESPACE_NOT_FOUND'],
      [{ name: 'bad name!' }, 'BAD_USER_INPUT'],
    ];
    for (const [input, code] of cases) {
      const r = await update(input);
      expect({ input, code: r.errors?.[0]?.extensions?.code, data: r.data }).toEqual({ input, code, data: null });
    }
    expect(await settings('cp-eventual')).toEqual(before);
  });
});

describe('COUNTER_NAMESPACES_FILE', () => {
  it('creates the namespaces of the file and, at a later start, brings them to its new settings', async () => {
    const dataDir = tempDir();
    const file = path.join(tempDir('counters-nsfile-'), 'namespaces.json');
    fs.writeFileSync(file, JSON.stringify([{ name: 'views', mode: 'EVENTUAL', retentionSeconds: 3600 }]));
    let s = await startServer({ COUNTER_DATA_DIR: dataDir, COUNTER_NAMESPACES_FILE: file });
    const read = async () =>
      (await s.gql<{ namespace: Record<string, unknown> }>(`{ namespace(name: "views") { mode retentionSeconds acceptLimitMs } }`)).data!.namespace;
    expect(await read()).toEqual({ mode: 'EVENTUAL', retentionSeconds: 3600, acceptLimitMs: 5000 });
    await s.stop();

    fs.writeFileSync(file, JSON.stringify([{ name: 'views', mode: 'EVENTUAL', retentionSeconds: 7200, acceptLimitMs: 8000 }]));
    s = await startServer({ COUNTER_DATA_DIR: dataDir, COUNTER_NAMESPACES_FILE: file });
    expect(await read()).toEqual({ mode: 'EVENTUAL', retentionSeconds: 7200, acceptLimitMs: 8000 });
    await s.stop();

    // A mode change in the file stops the start with a message; the stored namespace stays.
    fs.writeFileSync(file, JSON.stringify([{ name: 'views', mode: 'ACCURATE' }]));
    await expect(startServer({ COUNTER_DATA_DIR: dataDir, COUNTER_NAMESPACES_FILE: file })).rejects.toThrow(/entry 0: namespace "views" is EVENTUAL/);
    s = await startServer({ COUNTER_DATA_DIR: dataDir });
    expect(await read()).toEqual({ mode: 'EVENTUAL', retentionSeconds: 7200, acceptLimitMs: 8000 });
    await s.stop();
  });
});
