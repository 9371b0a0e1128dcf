/**
 * The viewer's JSON API. Listings take the same parameters as the command line's flags and go
 * through the same parsing (search/query-params.ts) and the same queries (search/); every route but
 * login answers 401 without a valid viewer session or token. Opening a session and running a search
 * are recorded (viewer.viewed) before the answer is sent.
 */
import type { IncomingMessage } from 'node:http';
import { BundleError, buildBundle } from '../../recorder/bundle-builder.js';
import type { Peer } from '../../recorder/events.js';
import { sessionsFromIndex } from '../../search/list-sessions.js';
import { pageOptions, sessionFilterFrom, statementFilterFrom, type QueryValues } from '../../search/query-params.js';
import { SearchError } from '../../search/search-error.js';
import { statementsFromIndex } from '../../search/search-statements.js';
import { segmentSource } from '../../search/segment-source.js';
import type { LiveJournal } from './live-journal.js';
import { maxProofsPerRequest, proofsFor, readSessionPage, sessionRecordLocations } from './session-records.js';
import type { Viewer, ViewerAuth } from './viewer-auth.js';
import { ViewerError } from './viewer-error.js';
import type { ViewingLog } from './viewing-log.js';

/** What the routes work with. */
export interface ApiContext {
  readonly journal: LiveJournal;
  readonly auth: ViewerAuth;
  readonly log: ViewingLog;
}

/** An answer: a status, a JSON body, and headers to add (Set-Cookie). */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Default and largest page of a listing. */
const defaultLimit = 100;
const maxLimit = 1000;
/** Largest request body accepted (a login with an SSO token). */
const maxBodyBytes = 32 * 1024;

/** Answers one request under /api/ (the live socket is handled by web/server/live-socket.ts). */
export async function answerApi(ctx: ApiContext, req: IncomingMessage, url: URL, client: Peer): Promise<ApiAnswer> {
  const path = url.pathname;
  if (path === '/api/login' && req.method === 'POST') return login(ctx, req, client);
  const viewer = await ctx.auth.authenticate(req.headers);
  if (viewer === null) throw new ViewerError('VIEWER_UNAUTHORIZED', 'log in first');
  const values = queryValues(url);
  if (req.method === 'POST' && path === '/api/logout') {
    ctx.auth.logout(req.headers.cookie);
    return { status: 200, body: {}, headers: { 'Set-Cookie': ctx.auth.setCookie('') } };
  }
  if (req.method !== 'GET') throw new ViewerError('VIEWER_NOT_FOUND', 'no such route');
  if (path === '/api/me') return ok(me(ctx, viewer));
  if (path === '/api/sessions') return ok(listSessions(ctx, values));
  if (path === '/api/search') {
    const body = search(ctx, values);
    await record(ctx, viewer, client, 'search', url.search.replace(/^\?/, ''));
    return ok(body);
  }
  if (path === '/api/proofs') return ok(proofs(ctx, values));
  const bundle = /^\/api\/sessions\/([^/]{1,200})\/bundle$/.exec(path);
  if (bundle) return sessionBundle(ctx, viewer, client, decodeURIComponent(bundle[1] as string));
  const session = /^\/api\/sessions\/([^/]{1,200})$/.exec(path);
  if (session) return ok(await sessionPage(ctx, viewer, client, decodeURIComponent(session[1] as string), values));
  throw new ViewerError('VIEWER_NOT_FOUND', 'no such route');
}

function ok(body: unknown): ApiAnswer {
  return { status: 200, body };
}

/** Query parameters as filter values; a repeated parameter is refused rather than guessed at. */
function queryValues(url: URL): QueryValues {
  const values: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key in values) throw new ViewerError('VIEWER_BAD_REQUEST', `${key} is given twice`);
    values[key] = value;
  }
  return values;
}

async function record(
  ctx: ApiContext,
  viewer: Viewer,
  client: Peer,
  action: 'search' | 'session' | 'login' | 'bundle',
  target: string,
) {
  try {
    await ctx.log(viewer, client, action, target);
  } catch (cause) {
    throw new ViewerError('VIEWER_NOT_RECORDED', 'the viewing could not be recorded, so it is not shown', { cause });
  }
}

async function login(ctx: ApiContext, req: IncomingMessage, client: Peer): Promise<ApiAnswer> {
  const body = await readJsonBody(req);
  const token = typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined;
  if (typeof token !== 'string') throw new ViewerError('VIEWER_BAD_REQUEST', 'expected {"token": "..."}');
  const session = await ctx.auth.login(token);
  if (session === null) throw new ViewerError('VIEWER_UNAUTHORIZED', 'the token is not valid');
  await record(ctx, session.viewer, client, 'login', '');
  return {
    status: 200,
    body: { user: session.viewer.user, expiresAt: new Date(session.viewer.expiresAt).toISOString() },
    headers: { 'Set-Cookie': ctx.auth.setCookie(session.cookie, session.viewer.expiresAt) },
  };
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
    throw new ViewerError('VIEWER_BAD_REQUEST', 'expected a JSON body');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new ViewerError('VIEWER_BAD_REQUEST', 'the request body is too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ViewerError('VIEWER_BAD_REQUEST', 'the request body is not JSON');
  }
}

function me(ctx: ApiContext, viewer: Viewer) {
  return {
    user: viewer.user,
    method: viewer.method.kind,
    expiresAt: new Date(viewer.expiresAt).toISOString(),
    journalVkey: ctx.journal.journalVkey,
  };
}

/** Filters from the query string, with a bounded page; bad values are 400s with the shared messages. */
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof SearchError && err.code === 'SEARCH_BAD_FILTER')
      throw new ViewerError('VIEWER_BAD_REQUEST', err.message, { cause: err });
    throw err;
  }
}

function page(values: QueryValues) {
  const options = parsed(() => pageOptions(values));
  return { ...options, limit: Math.min(options.limit ?? defaultLimit, maxLimit) };
}

function listSessions(ctx: ApiContext, values: QueryValues) {
  const filter = parsed(() => sessionFilterFrom(values, Date.now()));
  const options = page(values);
  const source = segmentSource(ctx.journal.dir);
  try {
    return { ...sessionsFromIndex(source, ctx.journal.index, filter, options), offset: options.offset };
  } finally {
    source.close();
  }
}

function search(ctx: ApiContext, values: QueryValues) {
  const filter = parsed(() => statementFilterFrom(values, Date.now()));
  const options = page(values);
  const source = segmentSource(ctx.journal.dir);
  try {
    // One more than asked says whether another page follows.
    const rows = statementsFromIndex(source, ctx.journal.index, filter, { ...options, limit: options.limit + 1 });
    return { rows: rows.slice(0, options.limit), more: rows.length > options.limit, offset: options.offset };
  } finally {
    source.close();
  }
}

async function sessionPage(ctx: ApiContext, viewer: Viewer, client: Peer, session: string, values: QueryValues) {
  const located = sessionRecordLocations(ctx.journal, session);
  if (located === null) throw new ViewerError('VIEWER_NOT_FOUND', 'no such session in the journal');
  const fromText = values['from'];
  if (fromText !== undefined && (typeof fromText !== 'string' || !/^\d{1,9}$/.test(fromText)))
    throw new ViewerError('VIEWER_BAD_REQUEST', 'from must be a whole number');
  const from = fromText === undefined ? 0 : Number(fromText);
  // The first page is the opening of the session: that is the viewing recorded.
  if (from === 0) await record(ctx, viewer, client, 'session', session);
  return { session, ...(await readSessionPage(ctx.journal, located, from)) };
}

/**
 * The session as an evidence bundle (docs/bundles.md; recorder/bundle-builder.ts, as `pgtrail bundle`
 * makes it), recorded (`bundle`) before it is sent. It reads the journal twice, so it is made only
 * when asked for.
 */
async function sessionBundle(ctx: ApiContext, viewer: Viewer, client: Peer, session: string): Promise<ApiAnswer> {
  if (ctx.journal.index.sessionNumber(session) === undefined)
    throw new ViewerError('VIEWER_NOT_FOUND', 'no such session in the journal');
  let body: unknown;
  try {
    body = await buildBundle(ctx.journal.dir, session);
  } catch (err) {
    if (err instanceof BundleError && err.code === 'BUNDLE_SESSION_UNKNOWN')
      throw new ViewerError('VIEWER_NOT_FOUND', 'no such session in the journal', { cause: err });
    if (err instanceof BundleError) throw new ViewerError('VIEWER_BUNDLE_UNAVAILABLE', err.message, { cause: err });
    throw err;
  }
  await record(ctx, viewer, client, 'bundle', session);
  // The id is the journal's; only its safe characters go into the header.
  const name = `session-${session.replace(/[^A-Za-z0-9_-]/g, '_')}.json`;
  return { status: 200, body, headers: { 'Content-Disposition': `attachment; filename="${name}"` } };
}

function proofs(ctx: ApiContext, values: QueryValues) {
  const text = values['seq'];
  if (typeof text !== 'string' || !/^\d{1,16}(,\d{1,16})*$/.test(text))
    throw new ViewerError('VIEWER_BAD_REQUEST', 'seq must be a comma-separated list of record indexes');
  const seqs = text.split(',').map(Number);
  if (seqs.length > maxProofsPerRequest)
    throw new ViewerError('VIEWER_BAD_REQUEST', `at most ${maxProofsPerRequest} records per request`);
  return proofsFor(ctx.journal, seqs);
}
