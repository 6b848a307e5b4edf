import { counterTag, namespacePattern } from '../../../../../src/cache/redis/keys';

describe('counterTag', () => {
  it('is the length-prefixed namespace and the name, in one hash tag', () => {
    expect(counterTag({ namespace: 'views', name: 'title:42' })).toBe('{5:views:title:42}');
  });

  it('is the same for the same counter', () => {
    expect(counterTag({ namespace: 'a', name: 'b' })).toBe(counterTag({ namespace: 'a', name: 'b' }));
  });

  it('cannot collide when a separator moves between namespace and name', () => {
    const tags = [
      { namespace: 'a:b', name: 'c' },
      { namespace: 'a', name: 'b:c' },
      { namespace: 'a:b:c', name: '' },
      { namespace: '1:a', name: 'b' },
      { namespace: 'ab', name: 'c' },
      { namespace: 'a', name: 'bc' },
    ].map(counterTag);
    expect(new Set(tags).size).toBe(tags.length);
  });

  it('counts multi-digit namespace lengths', () => {
    const namespace = 'n'.repeat(123);
    expect(counterTag({ namespace, name: 'x' })).toBe(`{123:${namespace}:x}`);
  });

  it('holds exactly one pair of braces, at the ends, so Redis hashes the whole counter part', () => {
    const tag = counterTag({ namespace: 'ns.with/all:chars-_', name: 'a/b:c.d-e_f' });
    expect(tag.startsWith('{')).toBe(true);
    expect(tag.endsWith('}')).toBe(true);
    expect(tag.slice(1, -1)).not.toMatch(/[{}]/);
  });
});

describe('namespacePattern', () => {
  it("matches the namespace's keys of one kind, by its length-prefixed tag", () => {
    expect(namespacePattern('counters:', 'be', 'views')).toBe('counters:be:{5:views:*');
  });

  it("escapes Redis' glob characters of the prefix, so a prefix never widens the match", () => {
    expect(namespacePattern('a*b?[c]\\:', 'ru', 'n')).toBe('a\\*b\\?\\[c\\]\\\\:ru:{1:n:*');
  });
});
