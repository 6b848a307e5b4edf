import type { IncomingMessage, ServerResponse } from 'node:http';
import { OriginPolicy } from '../../../../src/http/origins';

const req = (method: string, headers: Record<string, string>): IncomingMessage => ({ method, headers }) as unknown as IncomingMessage;
function res() {
  const headers: Record<string, string> = {};
  let status = 0;
  const r = {
    setHeader: (k: string, v: string) => void (headers[k] = v),
    writeHead: (s: number) => ((status = s), r),
    end: () => r,
  };
  return { r: r as unknown as ServerResponse, headers, status: () => status };
}

describe('OriginPolicy', () => {
  const policy = new OriginPolicy(['https://app.example.com', 'http://localhost:3000']);

  it('echoes a listed origin with Vary: Origin; an unlisted one gets no CORS header', () => {
    const a = res();
    expect(policy.apply(req('POST', { origin: 'https://app.example.com' }), a.r)).toBe(false);
    expect(a.headers).toEqual({ vary: 'Origin', 'access-control-allow-origin': 'https://app.example.com' });
    const b = res();
    policy.apply(req('POST', { origin: 'https://evil.example' }), b.r);
    expect(Object.keys(b.headers).filter((k) => k.startsWith('access-control'))).toEqual([]);
  });

  it('answers a preflight 204 with methods, headers and max-age for a listed origin only', () => {
    const a = res();
    expect(policy.apply(req('OPTIONS', { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' }), a.r)).toBe(true);
    expect(a.status()).toBe(204);
    expect(a.headers['access-control-allow-methods']).toBe('GET, POST, OPTIONS');
    expect(a.headers['access-control-allow-headers']).toContain('apollo-require-preflight');
    expect(a.headers['access-control-allow-headers']).toContain('traceparent');
    expect(Number(a.headers['access-control-max-age'])).toBeGreaterThan(0);
    const b = res();
    policy.apply(req('OPTIONS', { origin: 'https://evil.example' }), b.r);
    expect(b.status()).toBe(204);
    expect(Object.keys(b.headers).filter((k) => k.startsWith('access-control'))).toEqual([]);
  });

  it('sets no Vary when no origin is configured', () => {
    const a = res();
    new OriginPolicy([]).apply(req('GET', { origin: 'https://app.example.com' }), a.r);
    expect(a.headers).toEqual({});
  });

  it.each([
    [undefined, 'svc:4000', true],
    ['https://app.example.com', 'svc:4000', true],
    ['http://svc:4000', 'svc:4000', true],
    ['https://SVC:4000', 'svc:4000', true],
    ['https://evil.example', 'svc:4000', false],
    ['null', 'svc:4000', false],
    ['http://svc:4000.evil', 'svc:4000', false],
    ['http://svc:4000', '', false],
  ])('an upgrade with Origin %s and Host %s: %s', (origin, host, ok) => {
    const headers: Record<string, string> = {};
    if (origin !== undefined) headers.origin = origin;
    if (host) headers.host = host;
    expect(policy.allowsUpgrade(req('GET', headers))).toBe(ok);
  });
});
