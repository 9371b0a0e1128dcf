import { FrontendCode } from '../protocol/message-codes.js';
import type { PendingMessage } from './pending-message.js';
import { enqueue, endSkipping, retirePortal } from './batch-skip.js';
import {
  decodeBind,
  decodeExecute,
  decodeFunctionCall,
  decodeParse,
  decodeQuery,
  decodeTarget,
  formatOf,
} from './client-messages.js';
import { refuseMalformed } from './malformed-message.js';
import type { ObserverState } from './observer-state.js';
import { bindColumns, recordBindParams, type Portal, type PreparedStatement } from './prepared-statements.js';
import { toHexText, toRecordedText, toValueText } from './recorded-text.js';
import { startStatement, watchDurable } from './statement-start.js';
import { splitStatements } from './statement-splitter.js';
import type { StatementRun } from './statement-run.js';

/**
 * A whole client message, before it is forwarded: statements are numbered and recorded here, and
 * Parse, Bind and Close update the client's names at once (an Execute right behind them resolves).
 * Returns the promise the forwarding path must wait for (strict durability), else null. Throws
 * BackendError (08P01) for a message it cannot decode, which must not be forwarded.
 */
export function observeClientMessage(s: ObserverState, code: number, body: Buffer): Promise<void> | null {
  switch (code) {
    case FrontendCode.Query:
      return onQuery(s, body);
    case FrontendCode.Parse:
      onParse(s, body);
      return null;
    case FrontendCode.Bind:
      onBind(s, body);
      return null;
    case FrontendCode.Describe:
      onDescribe(s, body);
      return null;
    case FrontendCode.Execute:
      return onExecute(s, body);
    case FrontendCode.Close:
      onClose(s, body);
      return null;
    case FrontendCode.Sync:
      endSkipping(s);
      s.queue.push({ kind: 'sync' });
      s.batchesSent++;
      return null;
    case FrontendCode.FunctionCall:
      return onFunctionCall(s, body);
    case FrontendCode.CopyDone:
    case FrontendCode.CopyFail:
      s.copyIn = null;
      return null;
    default:
      return null;
  }
}

function onQuery(s: ObserverState, body: Buffer): Promise<void> | null {
  const query = decodeQuery(body) ?? refuseMalformed(s, FrontendCode.Query, body);
  // Fast path: without a ';' (or with one only at the end, as pgbench sends) the string is one
  // statement, recorded exactly as sent: what the splitter would find, without its work.
  const ranges = semicolonOnlyAtEnd(query) ? null : splitStatements(query, s.standardStrings);
  if (ranges === null || ranges.length <= 1) return onOneStatementQuery(s, query);
  const pieces = ranges.map((r) => query.subarray(r.start, r.end));
  const runs: StatementRun[] = [];
  const promises: Promise<void>[] = [];
  for (const piece of pieces) {
    const { run, promise } = startStatement(s, 'simple', toRecordedText(piece, s.utf8), null, null, null);
    runs.push(run);
    if (promise !== null) promises.push(promise);
  }
  // Several statements: the text is kept (a copy, the body is the socket's) to place an error's position.
  const pending: PendingMessage = { kind: 'query', runs, next: 0, text: { bytes: Buffer.from(query), ranges } };
  if (!s.skipping) s.batchesSent++;
  enqueue(s, pending);
  if (promises.length === 0) return null;
  return watchDurable(
    s,
    promises.length === 1 ? (promises[0] as Promise<void>) : Promise.all(promises).then(() => {}),
    runs,
    pending,
  );
}

/** A Query string that is one statement (or none): one run, recorded as sent. */
function onOneStatementQuery(s: ObserverState, query: Buffer): Promise<void> | null {
  const { run, promise } = startStatement(s, 'simple', toRecordedText(query, s.utf8), null, null, null);
  const pending: PendingMessage = { kind: 'query', runs: [run], next: 0, text: null };
  if (!s.skipping) s.batchesSent++;
  enqueue(s, pending);
  return promise === null ? null : watchDurable(s, promise, pending.runs, pending);
}

/** True when the string holds no ';' but, at most, one followed by nothing but whitespace. */
function semicolonOnlyAtEnd(query: Buffer): boolean {
  const at = query.indexOf(0x3b);
  if (at < 0) return true;
  for (let i = at + 1; i < query.length; i++) {
    const c = query[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) return false;
  }
  return true;
}

function onParse(s: ObserverState, body: Buffer): void {
  const parse = decodeParse(body) ?? refuseMalformed(s, FrontendCode.Parse, body);
  const sql = toRecordedText(parse.query, s.utf8);
  const prepared: PreparedStatement = {
    name: parse.name,
    sql,
    sqlText: typeof sql === 'string' ? sql : null,
    paramTypes: parse.paramTypes,
    described: null,
  };
  const undo = s.names.parse(prepared);
  enqueue(s, { kind: 'parse', prepared, undo });
}

function onBind(s: ObserverState, body: Buffer): void {
  const bind = decodeBind(body) ?? refuseMalformed(s, FrontendCode.Bind, body);
  const prepared = s.names.statement(bind.statement);
  const portal: Portal = {
    name: bind.portal,
    statement: bind.statement,
    prepared,
    params: recordBindParams(bind, prepared),
    columns: bindColumns(bind),
    activeRun: null,
    batch: s.batchesSent,
  };
  const { undo, replaced } = s.names.bind(portal);
  if (replaced !== null) retirePortal(s, replaced);
  enqueue(s, { kind: 'bind', portal, undo });
}

function onDescribe(s: ObserverState, body: Buffer): void {
  const target = decodeTarget(body) ?? refuseMalformed(s, FrontendCode.Describe, body);
  const statement = target.kind === 'S';
  enqueue(s, {
    kind: 'describe',
    target: target.kind,
    name: target.name,
    prepared: statement ? s.names.statement(target.name) : null,
    portal: statement ? null : s.names.portal(target.name),
  });
}

function onExecute(s: ObserverState, body: Buffer): Promise<void> | null {
  const execute = decodeExecute(body) ?? refuseMalformed(s, FrontendCode.Execute, body);
  const portal = s.names.portal(execute.portal);
  const active = portal?.activeRun;
  if (portal !== null && active !== null && active !== undefined && !active.isComplete) {
    enqueue(s, { kind: 'execute', run: active, portal, continues: true });
    return null;
  }
  const prepared = portal?.prepared ?? null;
  // A portal or statement pgtrail never saw (e.g. SQL-level PREPARE) is recorded with empty text
  // and the statement name the Bind gave.
  const { run, promise } = startStatement(
    s,
    'extended',
    prepared?.sql ?? '',
    portal?.params ?? null,
    prepared?.name ?? portal?.statement ?? null,
    execute.portal,
  );
  if (portal !== null) {
    run.columns = portal.columns;
    if (execute.maxRows > 0) portal.activeRun = run;
  }
  const pending: PendingMessage = { kind: 'execute', run, portal, continues: false };
  enqueue(s, pending);
  return promise === null ? null : watchDurable(s, promise, [run], pending);
}

function onClose(s: ObserverState, body: Buffer): void {
  const target = decodeTarget(body) ?? refuseMalformed(s, FrontendCode.Close, body);
  if (target.kind === 'S') {
    enqueue(s, { kind: 'close', undo: s.names.closeStatement(target.name) });
  } else {
    const { undo, closed } = s.names.closePortal(target.name);
    if (closed !== null) retirePortal(s, closed);
    enqueue(s, { kind: 'close', undo });
  }
}

function onFunctionCall(s: ObserverState, body: Buffer): Promise<void> | null {
  const call = decodeFunctionCall(body) ?? refuseMalformed(s, FrontendCode.FunctionCall, body);
  // Arguments carry no type OIDs: binary ones are recorded as hex.
  const params = call.args.map((a, i) =>
    a === null ? null : formatOf(call.argFormats, i) === 0 ? toValueText(a) : toHexText(a),
  );
  const { run, promise } = startStatement(s, 'function_call', `FunctionCall ${call.functionOid}`, params, null, null);
  const pending: PendingMessage = { kind: 'function_call', run };
  if (!s.skipping) s.batchesSent++;
  enqueue(s, pending);
  return promise === null ? null : watchDurable(s, promise, [run], pending);
}
