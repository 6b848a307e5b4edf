import fc from 'fast-check';
import { counterId, namespaceId } from '../../../src/ids';

describe('global ids', () => {
  it('are stable: the same key always gives the same id', () => {
    expect(counterId('views', 'title-1')).toBe(counterId('views', 'title-1'));
    expect(namespaceId('views')).toBe(namespaceId('views'));
  });

  it('are opaque URL-safe strings', () => {
    expect(counterId('views', 'a b/c?d')).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(namespaceId('views')).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('never collide across (namespace, name) pairs, whatever the separators inside names', () => {
    expect(counterId('a:b', 'c')).not.toBe(counterId('a', 'b:c'));
    expect(counterId('a\u0000b', 'c')).not.toBe(counterId('a', 'b\u0000c'));
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (ns1, n1, ns2, n2) => {
        fc.pre(ns1 !== ns2 || n1 !== n2);
        expect(counterId(ns1, n1)).not.toBe(counterId(ns2, n2));
      }),
    );
  });

  it('never collide across types', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (ns, name, other) => {
        expect(counterId(ns, name)).not.toBe(namespaceId(other));
      }),
    );
  });
});
