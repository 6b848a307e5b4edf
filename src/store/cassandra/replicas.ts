import type cassandra from 'cassandra-driver';

/** A partition key component: text, bigint or int (the store's key columns). */
export type KeyPart = string | bigint | number;

const encodePart = (p: KeyPart): Buffer => {
  if (typeof p === 'string') return Buffer.from(p, 'utf8');
  const b = Buffer.alloc(typeof p === 'bigint' ? 8 : 4);
  if (typeof p === 'bigint') b.writeBigInt64BE(p);
  else b.writeInt32BE(p);
  return b;
};

/** The serialized partition key the driver hashes to a token: a composite key is (uint16 length, bytes, 0) per component. */
export function routingKey(parts: KeyPart[]): Buffer {
  if (parts.length === 1) return encodePart(parts[0]!);
  const bufs: Buffer[] = [];
  for (const p of parts) {
    const b = encodePart(p);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    bufs.push(len, b, Buffer.alloc(1));
  }
  return Buffer.concat(bufs);
}

/**
 * Where a multi-partition query may go: the grouped reads (./grouper.ts) put partitions in one
 * `IN` query only when they share their first replica, and send it there (`routingKey` of
 * one of them), so a grouped read is served by a replica of every partition it asks for, as
 * a single-partition token-aware read is, instead of being fanned out by a coordinator.
 * With a single node (or before the ring is known) every partition shares the group ''.
 */
export class ReplicaGroups {
  constructor(private readonly client: cassandra.Client) {}

  /** The group of the partition, and the routing key that sends a query to its replica. */
  of(parts: KeyPart[]): { group: string; routingKey: Buffer | undefined } {
    if (this.client.hosts.length <= 1) return { group: '', routingKey: undefined };
    const key = routingKey(parts);
    const replicas = this.client.getReplicas(this.client.keyspace, key) as cassandra.Host[] | null;
    return { group: replicas?.[0]?.address ?? '', routingKey: key };
  }
}
