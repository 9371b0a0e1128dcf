/**
 * Who may use the viewer. Two credentials are accepted: the login token printed at start (in the
 * `viewer:` URL), and SSO tokens (JWT) checked exactly as the proxy checks them
 * (proxy/identity/jwt-verifier.ts, the identity.jwt settings). Either is exchanged at POST
 * /api/login for a viewer session: a random cookie (HttpOnly, SameSite=Strict) that expires after
 * `ttlMs`. A JWT may also be sent on each request as `Authorization: Bearer`. Nothing else opens
 * anything: every API route and the live socket ask `authenticate` first.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ViewerViewed } from '../../recorder/events.js';
import type { JwtVerifier } from '../../proxy/identity/jwt-verifier.js';

/** Name of the viewer's session cookie. */
export const sessionCookie = 'pgtrail_viewer';
/** Most viewer sessions held at once; the oldest is dropped beyond it. */
const maxSessions = 10_000;
/** How long a live socket opened with a Bearer token (rather than a session cookie) stays open. */
const bearerSocketMs = 60_000;
/** Longest credential accepted, in characters (an SSO token is a few kilobytes at most). */
const maxCredentialChars = 16 * 1024;

/** Who a credential proves, and until when it may be used (an SSO token's `exp`; none for the login token). */
export interface Credential {
  readonly user: string;
  readonly method: ViewerViewed['method'];
  readonly notAfter: number;
}

/** An authenticated viewer. */
export interface Viewer {
  /** The viewer session (random), recorded with every viewing. */
  readonly session: string;
  readonly user: string;
  readonly method: ViewerViewed['method'];
  readonly expiresAt: number;
}

/** Creates a login token: 32 random bytes, base64url. */
export function newLoginToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Checks credentials and keeps the viewer sessions they were exchanged for. */
export class ViewerAuth {
  readonly #sessions = new Map<string, Viewer>();
  readonly #loginDigest: Buffer;

  constructor(
    loginToken: string,
    private readonly ttlMs: number,
    private readonly jwt: JwtVerifier | null,
    private readonly now: () => number = Date.now,
  ) {
    this.#loginDigest = digest(loginToken);
  }

  /** The viewer a credential proves (the login token or a valid SSO token), or null. */
  async check(credential: string): Promise<Credential | null> {
    if (credential.length === 0 || credential.length > maxCredentialChars) return null;
    // Compared as digests, in constant time: the token's length leaks nothing either.
    if (timingSafeEqual(digest(credential), this.#loginDigest))
      return { user: 'login-token', method: { kind: 'login-token' }, notAfter: Number.POSITIVE_INFINITY };
    if (this.jwt === null || credential.split('.').length !== 3) return null;
    const verdict = await this.jwt.verify(credential);
    if (!verdict.ok) return null;
    const { user, issuer, expiresAt } = verdict.identity;
    return { user, method: { kind: 'token', issuer }, notAfter: expiresAt };
  }

  /** Exchanges a credential for a viewer session; returns it and its cookie value, or null. */
  async login(credential: string): Promise<{ viewer: Viewer; cookie: string } | null> {
    const who = await this.check(credential);
    if (who === null) return null;
    const cookie = randomBytes(32).toString('base64url');
    // A session never outlives the SSO token it was opened with: the issuer's expiry still holds.
    const expiresAt = Math.min(this.now() + this.ttlMs, who.notAfter);
    const viewer: Viewer = { user: who.user, method: who.method, session: randomBytes(8).toString('hex'), expiresAt };
    this.prune();
    this.#sessions.set(cookie, viewer);
    return { viewer, cookie };
  }

  /** The viewer of a request: its session cookie, else a Bearer SSO token; null when neither is valid. */
  async authenticate(headers: {
    readonly cookie?: string | undefined;
    readonly authorization?: string | undefined;
  }): Promise<Viewer | null> {
    const cookie = cookieValue(headers.cookie, sessionCookie);
    if (cookie !== null) {
      const viewer = this.#sessions.get(cookie);
      if (viewer && viewer.expiresAt > this.now()) return viewer;
      if (viewer) this.#sessions.delete(cookie);
    }
    const bearer = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(headers.authorization ?? '');
    if (bearer === null) return null;
    const who = await this.check(bearer[1] as string);
    if (who === null) return null;
    // One viewer session per bearer token, so that its viewings group together.
    const session = digest(bearer[1] as string)
      .subarray(0, 8)
      .toString('hex');
    // Checked again on every request; a live socket opened with it is closed after a minute.
    return {
      user: who.user,
      method: who.method,
      session,
      expiresAt: Math.min(this.now() + bearerSocketMs, who.notAfter),
    };
  }

  /** Ends the viewer session of a cookie. */
  logout(cookieHeader: string | undefined): void {
    const cookie = cookieValue(cookieHeader, sessionCookie);
    if (cookie !== null) this.#sessions.delete(cookie);
  }

  /** Set-Cookie for a new session (HttpOnly, SameSite=Strict, expiring with it), or one that clears it. */
  setCookie(cookie: string, expiresAt: number = this.now()): string {
    const maxAge = Math.max(0, Math.ceil((expiresAt - this.now()) / 1000));
    return `${sessionCookie}=${cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`;
  }

  private prune(): void {
    const now = this.now();
    for (const [cookie, viewer] of this.#sessions) if (viewer.expiresAt <= now) this.#sessions.delete(cookie);
    while (this.#sessions.size >= maxSessions) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The value of cookie `name` in a Cookie header, or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined || header.length > 8192) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
