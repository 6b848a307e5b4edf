import { callbackHosts } from '../../../../src/http/callbackHosts';

describe('callbackHosts (SUBSCRIPTION_CALLBACK_HOSTS)', () => {
  it('* allows any http(s) host', () => {
    const h = callbackHosts(['*']);
    expect(h.allows('http://10.0.0.1:8080/x')).toBe(true);
    expect(h.allows('https://router.example.com/cb')).toBe(true);
  });

  it('an empty list allows none and says callbacks are off', () => {
    const h = callbackHosts([]);
    expect(h.allows('http://router:4000/cb')).toBe(false);
    expect(h.refusal).toMatch(/callbacks are off/);
  });

  it('a host allows every port of it, a host:port that port only', () => {
    const h = callbackHosts(['router.internal', 'gw.internal:4000']);
    expect(h.allows('http://router.internal:4000/cb')).toBe(true);
    expect(h.allows('https://ROUTER.internal/cb')).toBe(true);
    expect(h.allows('http://gw.internal:4000/cb')).toBe(true);
    expect(h.allows('http://gw.internal:4001/cb')).toBe(false);
    expect(h.allows('http://gw.internal/cb')).toBe(false);
    expect(h.allows('http://evil.internal:4000/cb')).toBe(false);
    expect(h.refusal).toMatch(/SUBSCRIPTION_CALLBACK_HOSTS/);
  });

  it('a default port written out matches a URL that leaves it implicit', () => {
    const h = callbackHosts(['gw.internal:443', 'plain.internal:80']);
    expect(h.allows('https://gw.internal/cb')).toBe(true);
    expect(h.allows('http://plain.internal/cb')).toBe(true);
    expect(h.allows('http://gw.internal/cb')).toBe(false);
  });

  it('does not match lookalikes: user info, suffixes, IPv6 literals by their own rules', () => {
    const h = callbackHosts(['router.internal', '[::1]:4000']);
    expect(h.allows('http://router.internal@evil.example/cb')).toBe(false);
    expect(h.allows('http://router.internal.evil.example/cb')).toBe(false);
    expect(h.allows('http://evil.example/?router.internal')).toBe(false);
    expect(h.allows('http://[::1]:4000/cb')).toBe(true);
    expect(h.allows('http://[::1]:4001/cb')).toBe(false);
    expect(h.allows('not a url')).toBe(false);
  });
});
