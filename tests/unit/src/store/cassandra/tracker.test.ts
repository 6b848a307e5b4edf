import { cassandraRequests } from '../../../../../src/metrics';
import { CountingTracker, named, statementLabel } from '../../../../../src/store/cassandra/tracker';

const LOOKUP = named('named lookup', 'SELECT a FROM events WHERE k = ?');

describe('statementLabel', () => {
  it.each([
    ['SELECT time_us FROM events WHERE namespace = ?', 'select events'],
    ['UPDATE rollups USING TIMESTAMP ? SET last_write_us = ?', 'update rollups'],
    ['INSERT INTO pending (namespace) VALUES (?)', 'insert pending'],
    ['DELETE FROM pending USING TIMESTAMP ? WHERE namespace = ?', 'delete pending'],
    ['delete first_write_us from rollups where a = ?', 'delete rollups'],
    ['SELECT release_version FROM system.local', 'select system.local'],
    ['CREATE TABLE x (a int PRIMARY KEY)', 'other'],
  ])('%s -> %s', (cql, label) => expect(statementLabel(cql)).toBe(label));
});

describe('CountingTracker', () => {
  const value = async (statement: string, outcome: string): Promise<number> =>
    (await cassandraRequests.get()).values.find((v) => v.labels['statement'] === statement && v.labels['outcome'] === outcome)?.value ?? 0;

  it('counts each request by its name or statement and outcome, a batch as one', async () => {
    const t = new CountingTracker();
    const [sel, batch, err] = [await value('select events', 'ok'), await value('batch(insert events+named lookup)', 'ok'), await value('insert events', 'error')];
    t.onSuccess(undefined, 'SELECT a FROM events WHERE b = ?');
    t.onSuccess(undefined, 'SELECT a FROM events WHERE b = ?');
    t.onSuccess(undefined, [{ query: 'INSERT INTO events (a) VALUES (?)' }, { query: LOOKUP }, { query: 'INSERT INTO events (b) VALUES (?)' }]);
    t.onError(undefined, 'INSERT INTO events (a) VALUES (?)');
    expect(await value('select events', 'ok')).toBe(sel + 2);
    expect(await value('batch(insert events+named lookup)', 'ok')).toBe(batch + 1);
    expect(await value('insert events', 'error')).toBe(err + 1);
  });
});
