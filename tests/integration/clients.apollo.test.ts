import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import type { Client } from 'graphql-ws';
import { counterId, namespaceId } from '../../src/ids';
import { createNamespace, startServer, waitFor, type TestServer } from './helpers/server';
import { wsClient } from './helpers/subscriptions';

/**
 * Apollo Client 4 exactly as a UI sets it up by default: an InMemoryCache without
 * typePolicies, HTTP for queries and mutations, graphql-ws for subscriptions. The cache
 * normalizes Counter by `__typename` + `id`, so a watched counter query shows the new count
 * after a mutation or a subscription event returns the same counter, with no refetch and no
 * cache code of the user's.
 */
const COUNTER = gql`
  query ($namespace: String!, $name: String!) {
    counter(namespace: $namespace, name: $name) { id namespace name count }
  }
`;
const ADD_AND_GET = gql`
  mutation ($input: AddCountInput!) {
    addAndGetCount(input: $input) { id count }
  }
`;
const UPDATED = gql`
  subscription ($namespace: String!, $name: String!) {
    counterUpdated(namespace: $namespace, name: $name) { id count }
  }
`;

let s: TestServer;
let ws: Client;
let client: ApolloClient;

beforeAll(async () => {
  s = await startServer();
  await createNamespace(s, 'ui', 'EVENTUAL');
  ws = wsClient(s.url);
  const link = ApolloLink.split(
    ({ query }) => {
      const def = getMainDefinition(query);
      return def.kind === 'OperationDefinition' && def.operation === 'subscription';
    },
    new GraphQLWsLink(ws),
    new HttpLink({ uri: s.url }),
  );
  client = new ApolloClient({ link, cache: new InMemoryCache() });
});

afterAll(async () => {
  client.stop();
  await ws.dispose();
  await s.stop();
});

/** The counts a watched `counter` query has shown, in order. */
function watchCounter(name: string): { counts: string[]; stop(): void } {
  const counts: string[] = [];
  const sub = client.watchQuery({ query: COUNTER, variables: { namespace: 'ui', name } }).subscribe((r) => {
    const c = (r.data as { counter?: { count: string } } | undefined)?.counter;
    if (c && counts[counts.length - 1] !== c.count) counts.push(c.count);
  });
  return { counts, stop: () => sub.unsubscribe() };
}

it('ids: a counter and a namespace have the stable ids the service documents', async () => {
  const r = await s.gql<{ counter: { id: string }; namespace: { id: string; counter: { id: string } } }>(
    `{ counter(namespace: "ui", name: "a") { id } namespace(name: "ui") { id counter(name: "a") { id } } }`,
  );
  expect(r.data!.counter.id).toBe(counterId('ui', 'a'));
  expect(r.data!.namespace.counter.id).toBe(counterId('ui', 'a'));
  expect(r.data!.namespace.id).toBe(namespaceId('ui'));
});

it('the default cache updates a watched counter after addAndGetCount', async () => {
  const w = watchCounter('after-mutation');
  await waitFor(() => w.counts.includes('0'));
  await client.mutate({ mutation: ADD_AND_GET, variables: { input: { namespace: 'ui', name: 'after-mutation', delta: 5 } } });
  await waitFor(() => w.counts.includes('5'));
  expect(w.counts).toEqual(['0', '5']);
  w.stop();
});

it('the default cache updates a watched counter after a subscription event', async () => {
  const w = watchCounter('after-event');
  await waitFor(() => w.counts.includes('0'));
  const events: string[] = [];
  const sub = client.subscribe({ query: UPDATED, variables: { namespace: 'ui', name: 'after-event' } }).subscribe((r) => {
    const c = (r.data as { counterUpdated?: { count: string } } | undefined)?.counterUpdated;
    if (c) events.push(c.count);
  });
  await waitFor(() => events.length > 0);
  // Written by someone else (plain HTTP, not through this client): only the event tells the UI.
  const add = await s.gql(`mutation { addCount(input: { namespace: "ui", name: "after-event", delta: 7 }) { applied } }`);
  expect(add.errors).toBeUndefined();
  await waitFor(() => w.counts.includes('7'));
  expect(w.counts).toEqual(['0', '7']);
  sub.unsubscribe();
  w.stop();
});
