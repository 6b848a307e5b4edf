import type cassandra from 'cassandra-driver';
import { ReplicaGroups, routingKey } from '../../../../../src/store/cassandra/replicas';

describe('routingKey', () => {
  it('serializes a composite partition key as (length, bytes, 0) per component', () => {
    expect(routingKey(['ns', 'c']).toString('hex')).toBe('00026e730000016300');
    expect(routingKey(['n', 7n, 2]).toString('hex')).toBe('00016e00' + '0008' + '0000000000000007' + '00' + '0004' + '00000002' + '00');
  });

  it('is the bare component for a single-column key', () => {
    expect(routingKey(['ns']).toString('hex')).toBe('6e73');
  });
});

describe('ReplicaGroups', () => {
  it('puts every partition in one group on a single node, without hashing', () => {
    const getReplicas = jest.fn();
    const groups = new ReplicaGroups({ hosts: { length: 1 }, getReplicas } as unknown as cassandra.Client);
    expect(groups.of(['ns', 'c'])).toEqual({ group: '', routingKey: undefined });
    expect(getReplicas).not.toHaveBeenCalled();
  });

  it('groups by first replica on a cluster, with the routing key that sends the query there', () => {
    const getReplicas = jest.fn((_ks: string, key: Buffer) => [{ address: key.toString('hex').endsWith('6100') ? '10.0.0.1:9042' : '10.0.0.2:9042' }]);
    const groups = new ReplicaGroups({ hosts: { length: 3 }, keyspace: 'ks', getReplicas } as unknown as cassandra.Client);
    expect(groups.of(['ns', 'a'])).toEqual({ group: '10.0.0.1:9042', routingKey: routingKey(['ns', 'a']) });
    expect(groups.of(['ns', 'b']).group).toBe('10.0.0.2:9042');
    expect(getReplicas).toHaveBeenCalledWith('ks', routingKey(['ns', 'a']));
  });
});
