import type { ServerResponse } from 'node:http';
import { forbidden, keysUnavailable, unauthenticated } from '../../../../src/auth/errors';
import { refuseCredentials } from '../../../../src/http/authRefusal';

/** Records what refuseCredentials writes. */
function response() {
  const out = { status: 0, headers: {} as Record<string, string>, body: '' };
  const res = {
    headersSent: false,
    writeHead(status: number, headers: Record<string, string>) {
      out.status = status;
      out.headers = headers;
      return res;
    },
    end(body: string) {
      out.body = body;
    },
  };
  return { res: res as unknown as ServerResponse, out };
}

describe('refuseCredentials', () => {
  it('401 UNAUTHENTICATED with a bare Bearer challenge when no credentials came', () => {
    const { res, out } = response();
    refuseCredentials(res, unauthenticated('credentials are missing: send Authorization: Bearer <JWT>'), false);
    expect(out.status).toBe(401);
    expect(out.headers['www-authenticate']).toBe('Bearer realm="counters"');
    expect(out.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(out.body)).toEqual({ errors: [{ message: 'credentials are missing: send Authorization: Bearer <JWT>', extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('401 with error="invalid_token" and a description that cannot break the header when credentials came', () => {
    const { res, out } = response();
    refuseCredentials(res, unauthenticated('the token has "expired"\r\nx: y'), true);
    expect(out.status).toBe(401);
    expect(out.headers['www-authenticate']).toBe('Bearer realm="counters", error="invalid_token", error_description="the token has expiredx: y"');
  });

  it('403 FORBIDDEN with insufficient_scope naming the scope', () => {
    const { res, out } = response();
    refuseCredentials(res, forbidden('admin'), true);
    expect(out.status).toBe(403);
    expect(out.headers['www-authenticate']).toBe('Bearer realm="counters", error="insufficient_scope", scope="counters:admin"');
    expect(JSON.parse(out.body).errors[0].extensions).toEqual({ code: 'FORBIDDEN' });
  });

  it('503 UNAVAILABLE with Retry-After when the keys cannot be fetched', () => {
    const { res, out } = response();
    refuseCredentials(res, keysUnavailable(), true);
    expect(out.status).toBe(503);
    expect(out.headers['retry-after']).toBe('1');
    expect(JSON.parse(out.body).errors[0].extensions).toEqual({ code: 'UNAVAILABLE' });
  });

  it('500 without the detail for anything unexpected', () => {
    const { res, out } = response();
    refuseCredentials(res, new Error('secret internals'), true);
    expect(out.status).toBe(500);
    expect(out.body).not.toContain('secret internals');
    expect(JSON.parse(out.body).errors[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });
});
