import { SignJWT } from 'jose';
import pino from 'pino';
import { createAuthenticator } from '../../../../src/auth/authenticator';
import { OPEN } from '../../../../src/auth/principal';
import type { VerifierOptions } from '../../../../src/auth/verifier';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const base: VerifierOptions = { clockToleranceMs: 0, jwksCooldownMs: 30_000, jwksCacheMaxAgeMs: 600_000, jwksTimeoutMs: 1000 };

/** A logger that keeps its lines. */
function logger() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { log, lines };
}

describe('createAuthenticator', () => {
  it('off: warns once that every caller may do everything, and lets everyone in as OPEN without reading credentials', async () => {
    const { log, lines } = logger();
    const auth = createAuthenticator(base, log);
    expect(auth.enabled).toBe(false);
    await expect(auth.authenticate(undefined)).resolves.toBe(OPEN);
    await expect(auth.authenticate('Bearer garbage')).resolves.toBe(OPEN);
    const warns = lines.filter((l) => l.level === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toMatch(/every caller may read, write and administer/);
  });

  it('on: refuses missing and malformed credentials, accepts a valid bearer token, and never logs the secret', async () => {
    const { log, lines } = logger();
    const auth = createAuthenticator({ ...base, jwtSecret: SECRET }, log);
    expect(auth.enabled).toBe(true);
    await expect(auth.authenticate(undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(auth.authenticate('Basic dXNlcjpwdw==')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const token = await new SignJWT({ scope: 'counters:write' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(SECRET));
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ global: 'write' });
    expect(lines.some((l) => l.level === 40)).toBe(false);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });
});
