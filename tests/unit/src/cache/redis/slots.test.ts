import { counterTag } from '../../../../../src/cache/redis/keys';
import { crc16, groupBySlot, keySlot } from '../../../../../src/cache/redis/slots';

describe('keySlot: the Redis Cluster key-to-slot mapping', () => {
  // Expected slots are Redis 7's own answers (CLUSTER KEYSLOT), hash-tag corner cases included.
  it.each([
    ['foo', 12182],
    ['bar', 5061],
    ['{a}', 15495],
    ['a', 15495],
    ['{}foo', 9500], // an empty tag does not count: the whole key
    ['foo{}{bar}', 8363], // the first "{" and the first "}" after it: empty, so the whole key
    ['foo{{bar}}zap', 4015], // the tag is "{bar"
    ['{bar', 4015],
    ['foo{bar}{zap}', 5061], // the first tag only
    ['counters:be:{5:views:título:42}', 7534], // UTF-8 bytes, as Redis hashes them
    ['5:views:título:42', 7534],
    ['été', 10087],
  ])('%j is in slot %i', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });

  it('crc16 is CRC16-CCITT XMODEM (the check value of "123456789" is 0x31C3)', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
  });

  it("puts every key of one counter in one slot, whatever its prefix and kind", () => {
    const tag = counterTag({ namespace: 'views', name: 'title:42' });
    const keys = ['be', 'wm', 'ru'].map((k) => `counters:${k}:${tag}`).concat(`other:dd:${tag}:token-1`, `counters:cu:${tag}`);
    expect(new Set(keys.map(keySlot)).size).toBe(1);
  });
});

describe('groupBySlot', () => {
  it('groups positions by slot, in first-seen order, each group ascending', () => {
    const keys = ['{a}x', 'foo', '{a}y', 'bar', 'a', '{bar}z'];
    expect([...groupBySlot(keys)]).toEqual([
      [15495, [0, 2, 4]],
      [12182, [1]],
      [5061, [3, 5]],
    ]);
  });

  it('gives no group for no key', () => {
    expect(groupBySlot([]).size).toBe(0);
  });
});
