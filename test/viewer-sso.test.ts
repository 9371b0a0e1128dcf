/**
 * SSO logins to the viewer against a real issuer: an ES256 key pair made with jose and its JWKS
 * served over HTTP by this test (test/support/sso-issuer.ts), the viewer configured with
 * identity.jwt.jwksUrl. A valid token logs in (as a cookie session or as a Bearer token) and its
 * viewings are recorded under the token's identity; an expired token, one for another audience or
 * issuer, one signed by a key the JWKS does not hold, one without `exp` and an unsigned one
 * (`alg: none`) are refused with 401 everywhere; a session ends when its token expires. The same
 * holds for `pgtrail serve --config` reading identity.jwt from YAML.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { createJwtVerifier } from '../proxy/identity/jwt-verifier.js';
import { spawnPgtrail } from './support/pgtrail-child.js';
import { runCommand } from './support/run-command.js';
import { ssoIssuer, startSsoIssuer, type SsoIssuer } from './support/sso-issuer.js';
import { testRoles } from './support/test-roles.js';
import { startViewerFixture, type ViewerFixture } from './support/viewer-fixture.js';

const carol = 'carol@example.test';

function wsStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', reject);
  });
}

function login(base: string, token: string): Promise<Response> {
  return fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }),
  });
}

describe('viewer SSO logins', () => {
  const server = inject('postgres');
  let issuer: SsoIssuer;
  let f: ViewerFixture;
  let session = '';

  beforeAll(async () => {
    issuer = await startSsoIssuer();
    f = await startViewerFixture(server, { jwt: createJwtVerifier(issuer.config, (p) => readFileSync(p)) });
    const client = new pg.Client({
      host: f.rec.proxy.host,
      port: f.rec.proxy.port,
      ...testRoles.scram,
      database: 'app',
    });
    await client.connect();
    await client.query('select 1 as one');
    await client.end();
    await f.rec.writer.flush();
    const res = await runCommand('sessions', ['--journal', f.rec.journal, '--json']);
    session = (JSON.parse(res.stdout.trim().split('\n')[0] as string) as { session: string }).session;
  });
  afterAll(async () => {
    await f?.stop();
    await issuer?.close();
  });

  it('logs in with a valid token, as the identity of its claim, and records the viewings under it', async () => {
    const res = await login(f.base, await issuer.token(carol));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: string }).user).toBe(carol);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    // The session cannot outlive the token: its exp is five minutes away, the configured TTL an hour.
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
    expect(maxAge).toBeGreaterThan(250);
    expect(maxAge).toBeLessThanOrEqual(300);
    const cookie = setCookie.split(';')[0] as string;
    const me = (await (await fetch(`${f.base}/api/me`, { headers: { Cookie: cookie } })).json()) as {
      user: string;
      method: string;
    };
    expect(me).toMatchObject({ user: carol, method: 'token' });
    expect((await fetch(`${f.base}/api/sessions/${session}`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect(await wsStatus(`${f.base.replace('http', 'ws')}/api/live`, { Cookie: cookie })).toBe(101);

    // The same token works as a Bearer token, for scripts.
    const bearer = { Authorization: `Bearer ${await issuer.token(carol)}` };
    expect((await fetch(`${f.base}/api/search?grep=one`, { headers: bearer })).status).toBe(200);

    const viewings = await runCommand('search', ['--journal', f.rec.journal, '--viewings', '--user', carol, '--json']);
    const rows = viewings.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { viewer: string; method: string; action: string; target: string });
    expect(rows.map((r) => r.action)).toEqual(['login', 'session', 'search']);
    expect(rows.every((r) => r.viewer === carol && r.method.includes('token'))).toBe(true);
    expect(JSON.stringify(rows)).toContain(ssoIssuer);
  });

  it('refuses expired, wrong-audience, wrong-issuer, foreign-key, exp-less and unsigned tokens with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad: Record<string, string> = {
      expired: await issuer.token(carol, { exp: now - 60 }),
      'another audience': await issuer.token(carol, { audience: 'someone-else' }),
      'another issuer': await issuer.token(carol, { issuer: 'https://evil.example' }),
      'a key not in the JWKS': await issuer.token(carol, { foreignKey: true }),
      'no exp': await issuer.token(carol, { exp: null }),
      'alg none': issuer.unsigned(carol),
    };
    const ws = `${f.base.replace('http', 'ws')}/api/live`;
    for (const [why, token] of Object.entries(bad)) {
      const res = await login(f.base, token);
      expect(res.status, why).toBe(401);
      expect(res.headers.get('set-cookie'), why).toBeNull();
      const body = (await res.json()) as { code: string };
      expect(body.code, why).toBe('VIEWER_UNAUTHORIZED');
      for (const route of ['/api/me', '/api/sessions', `/api/sessions/${session}`, '/api/search?grep=one']) {
        const bearer = await fetch(f.base + route, { headers: { Authorization: `Bearer ${token}` } });
        expect(bearer.status, `${why} ${route}`).toBe(401);
      }
      expect(await wsStatus(ws, { Authorization: `Bearer ${token}` }), why).toBe(401);
    }
    // None of them was recorded as a viewing.
    const viewings = await runCommand('search', ['--journal', f.rec.journal, '--viewings', '--json']);
    const logins = viewings.stdout
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { action: string });
    expect(logins.filter((r) => r.action === 'login')).toHaveLength(1);
  });

  it('ends a session when the token it was opened with expires', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const res = await login(f.base, await issuer.token(carol, { exp }));
    expect(res.status).toBe(200);
    expect(Number(/Max-Age=(\d+)/.exec(res.headers.get('set-cookie') ?? '')?.[1])).toBeLessThanOrEqual(2);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect((await fetch(`${f.base}/api/me`, { headers: { Cookie: cookie } })).status).toBe(200);
    await expect
      .poll(async () => (await fetch(`${f.base}/api/me`, { headers: { Cookie: cookie } })).status, {
        timeout: 6_000,
        interval: 250,
      })
      .toBe(401);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    expect(await wsStatus(`${f.base.replace('http', 'ws')}/api/live`, { Cookie: cookie })).toBe(401);
  });

  it('takes identity.jwt from the configuration under pgtrail serve --config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgtrail-viewer-sso-'));
    const config = join(dir, 'pgtrail.yaml');
    const c = issuer.config;
    writeFileSync(
      config,
      `identity:\n  jwt:\n    issuer: ${c.issuer}\n    audience: ${c.audience}\n    jwksUrl: ${c.jwksUrl}\n    claim: email\n`,
    );
    const serve = spawnPgtrail([
      'serve',
      '--journal',
      f.rec.journal,
      '--config',
      config,
      '--listen',
      '127.0.0.1:0',
      '--audit-journal',
      join(dir, 'audit'),
    ]);
    try {
      const base = new URL((await serve.waitFor(/^viewer: (\S+)$/m))[1] as string).origin;
      const ok = await login(base, await issuer.token(carol));
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { user: string }).user).toBe(carol);
      expect((await login(base, await issuer.token(carol, { foreignKey: true }))).status).toBe(401);
      expect((await login(base, issuer.unsigned(carol))).status).toBe(401);
    } finally {
      expect(await serve.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
