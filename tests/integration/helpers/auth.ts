import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload, type KeyLike } from 'jose';
import type { Client } from 'graphql-ws';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { GqlResponse } from './server';
import { wsUrl } from './subscriptions';

/** The settings of a test server with access control on (HS256). */
export const SECRET = 'integration-test-secret-0123456789abcdef';
export const ISSUER = 'https://idp.test';
export const AUDIENCE = 'counters';

const secretKey = new TextEncoder().encode(SECRET);
const nowS = (): number => Math.floor(Date.now() / 1000);

export interface MintOptions {
  /** Seconds since the epoch (default: an hour ahead); null: no exp claim. */
  exp?: number | null;
  claims?: JWTPayload;
  key?: KeyLike | Uint8Array;
  alg?: string;
  kid?: string;
}

/** A signed JWT with `scope` (space-separated), the test issuer and audience. */
export function mint(scope: string | undefined, o: MintOptions = {}): Promise<string> {
  // A fresh jti: no two minted tokens are the same text (the service caches verified texts).
  const jwt = new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'test', jti: randomUUID(), ...(scope !== undefined ? { scope } : {}), ...o.claims }).setProtectedHeader({
    alg: o.alg ?? 'HS256',
    ...(o.kid ? { kid: o.kid } : {}),
  });
  if (o.exp !== null) jwt.setExpirationTime(o.exp ?? nowS() + 3600);
  return jwt.sign(o.key ?? secretKey);
}

export const bearer = (token: string): string => `Bearer ${token}`;

/** POSTs one operation with an Authorization header (none when undefined). */
export async function gqlAs<T = Record<string, unknown>>(
  url: string,
  authorization: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GqlResponse<T> & { wwwAuthenticate: string | null }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { ...((await res.json()) as GqlResponse<T>), status: res.status, wwwAuthenticate: res.headers.get('www-authenticate') };
}

/** The `{ gql }` of a caller, for helpers such as createNamespace. */
export const caller = (url: string, authorization: string | undefined) => ({
  gql: <T = Record<string, unknown>>(q: string, v?: Record<string, unknown>) => gqlAs<T>(url, authorization, q, v),
});

/** A `ws` WebSocket class that sends extra headers on the upgrade (graphql-ws takes a class). */
export function webSocketWithHeaders(headers: Record<string, string>): typeof WebSocket {
  return class extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  } as typeof WebSocket;
}

/** What a websocket connection attempt came to: acknowledged, or closed with a code. */
export interface WsCaller {
  client: Client;
  /** Resolves with the close code once the socket closed (also after a refusal). */
  closed: Promise<number>;
  /** Resolves true once acknowledged, false when closed before. */
  acked: Promise<boolean>;
}

export function wsCaller(httpUrl: string, connectionParams?: Record<string, unknown>, upgradeHeaders?: Record<string, string>): WsCaller {
  let onClosed!: (code: number) => void;
  let onAcked!: (ok: boolean) => void;
  const closed = new Promise<number>((r) => (onClosed = r));
  const acked = new Promise<boolean>((r) => (onAcked = r));
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: upgradeHeaders ? webSocketWithHeaders(upgradeHeaders) : WebSocket,
    retryAttempts: 0,
    lazy: false,
    connectionParams,
    onNonLazyError: () => undefined,
    on: {
      connected: () => onAcked(true),
      closed: (e) => {
        onAcked(false);
        onClosed((e as { code: number }).code);
      },
    },
  });
  return { client, closed, acked };
}

/** One query or mutation over a websocket: its single result, or the errors of an `error` message. */
export function wsRun<T = Record<string, unknown>>(client: Client, query: string, variables?: Record<string, unknown>): Promise<GqlResponse<T>> {
  return new Promise((resolve, reject) => {
    let result: GqlResponse<T> = { status: 0 };
    client.subscribe<T>(
      { query, variables },
      {
        next: (r) => (result = { status: 0, data: r.data as T | null, errors: r.errors as GqlResponse<T>['errors'] }),
        error: (err) => (Array.isArray(err) ? resolve({ status: 0, errors: err as GqlResponse<T>['errors'] }) : reject(err)),
        complete: () => resolve(result),
      },
    );
  });
}
