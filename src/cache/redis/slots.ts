/**
 * Redis Cluster hash slots (the cluster specification's key-to-slot mapping), computed here
 * so that multi-key reads can be split by slot before they are sent: a command over keys of
 * several slots is refused by the cluster (CROSSSLOT).
 */

export const SLOTS = 16384;

/** CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), byte by byte from a table. */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

/**
 * The slot of a key: of its hash tag when it has one (the bytes between the first `{` and
 * the first `}` after it, when not empty), else of the whole key; over the key's UTF-8
 * bytes, as Redis sees them.
 */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % SLOTS;
  }
  return crc16(bytes) % SLOTS;
}

/** The positions of the keys, grouped by slot (groups in first-seen order, positions ascending). */
export function groupBySlot(keys: readonly string[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  keys.forEach((key, i) => {
    const slot = keySlot(key);
    const g = groups.get(slot);
    if (g === undefined) groups.set(slot, [i]);
    else g.push(i);
  });
  return groups;
}
