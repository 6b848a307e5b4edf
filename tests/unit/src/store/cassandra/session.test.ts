import cassandra from 'cassandra-driver';
import { loadConfig } from '../../../../../src/config';
import { consistency, CqlSession } from '../../../../../src/store/cassandra/session';

const { consistencies } = cassandra.types;

/** The protocol's codes (native protocol spec, section "Consistency"), not the driver's table. */
const PROTOCOL: Record<string, number> = { ONE: 1, TWO: 2, THREE: 3, QUORUM: 4, ALL: 5, LOCAL_QUORUM: 6, EACH_QUORUM: 7, LOCAL_ONE: 10 };

const options = (env: Record<string, string>) =>
  loadConfig({ COUNTER_STORE: 'cassandra', ...env }).cassandra;

describe('Cassandra consistency levels', () => {
  it.each(Object.entries(PROTOCOL))('maps the configured %s to the protocol code %i', (name, code) => {
    expect(consistency(name as Parameters<typeof consistency>[0])).toBe(code);
  });

  it('refuses a name it does not know instead of leaving the driver its default', () => {
    expect(() => consistency('localQuorum' as never)).toThrow(/unknown Cassandra consistency level/);
  });

  it('runs reads and writes at LOCAL_QUORUM by default at replication factor 3 (the driver would default to LOCAL_ONE)', async () => {
    const seen: unknown[] = [];
    const client = { execute: async (_q: string, _p: unknown[], o: { consistency?: number }) => void seen.push(o.consistency) } as unknown as cassandra.Client;
    const session = new CqlSession(client, options({ CASSANDRA_REPLICATION_FACTOR: '3' }));
    await session.read('SELECT 1', []);
    expect(seen).toEqual([consistencies.localQuorum]);
    expect(session.writeConsistency).toBe(consistencies.localQuorum);
  });

  it('takes the read and write overrides apart', async () => {
    const seen: unknown[] = [];
    const client = { execute: async (_q: string, _p: unknown[], o: { consistency?: number }) => void seen.push(o.consistency) } as unknown as cassandra.Client;
    const session = new CqlSession(client, options({ CASSANDRA_REPLICATION_FACTOR: '3', CASSANDRA_WRITE_CONSISTENCY: 'ALL', CASSANDRA_READ_CONSISTENCY: 'ONE' }));
    await session.read('SELECT 1', []);
    expect(seen).toEqual([consistencies.one]);
    expect(session.writeConsistency).toBe(consistencies.all);
  });
});
