import { chunkBy, TurnGrouper } from '../../../../../src/store/cassandra/grouper';

describe('TurnGrouper', () => {
  it('answers the items of one turn with one query per group and chunk, a repeated item once', async () => {
    const calls: { group: string; items: string[] }[] = [];
    const g = new TurnGrouper<string, string, string>(async (group, items) => {
      calls.push({ group, items });
      return items.map((i) => `${group}:${i}`);
    }, 3);
    const asked = [
      ['a', 'x'],
      ['a', 'y'],
      ['b', 'x'],
      ['a', 'x'],
      ['a', 'z'],
      ['a', 'w'],
    ] as const;
    const answers = await Promise.all(asked.map(([group, item]) => g.add(group, group, item)));
    expect(answers).toEqual(['a:x', 'a:y', 'b:x', 'a:x', 'a:z', 'a:w']);
    expect(calls).toEqual([
      { group: 'a', items: ['x', 'y', 'z'] },
      { group: 'a', items: ['w'] },
      { group: 'b', items: ['x'] },
    ]);
    // a later turn is a query of its own
    expect(await g.add('a', 'a', 'x')).toBe('a:x');
    expect(calls).toHaveLength(4);
  });

  it('fails only the items of a failed chunk', async () => {
    const g = new TurnGrouper<string, number, number>(async (_group, items) => {
      if (items.includes(1)) throw new Error('down');
      return items;
    }, 1);
    const [a, b] = await Promise.allSettled([g.add('k', 'k', 1), g.add('k', 'k', 2)]);
    expect(a).toEqual({ status: 'rejected', reason: new Error('down') });
    expect(b).toEqual({ status: 'fulfilled', value: 2 });
  });

  it('cuts chunks as the caller orders them', async () => {
    const calls: number[][] = [];
    const g = new TurnGrouper<string, number, number>(
      async (_group, items) => (calls.push(items), items),
      10,
      (items) => [items.filter((i) => i % 2 === 0), items.filter((i) => i % 2 === 1)],
    );
    await Promise.all([1, 2, 3, 4].map((i) => g.add('k', 'k', i)));
    expect(calls).toEqual([
      [2, 4],
      [1, 3],
    ]);
    expect(chunkBy([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});
