import { createHash } from 'node:crypto';
import type { RecordingConfig } from '../../config/config.js';
import type {
  CloseReason,
  Peer,
  RecordedText,
  StatementProtocol,
  StatementStarted,
  TrailEvent,
} from '../../recorder/events.js';
import type { ObservedSession, TrafficObserver } from '../traffic-observer.js';
import {
  ClientCode,
  decodeBind,
  decodeExecute,
  decodeFunctionCall,
  decodeParse,
  decodeQuery,
  decodeTarget,
  formatOf,
} from './client-messages.js';
import { ClientNames } from './client-names.js';
import { currentRun, type PendingMessage } from './pending-message.js';
import { bindColumns, recordBindParams, type Portal, type PreparedStatement } from './prepared-statements.js';
import { isUtf8Encoding, toRecordedText, toValueText, toHexText } from './recorded-text.js';
import { RoleTracker } from './role-tracker.js';
import {
  decodeCommandComplete,
  decodeErrorFields,
  decodeNotification,
  decodeParameterDescription,
  decodeParameterStatus,
  decodeReadyForQuery,
  decodeRowDescriptionColumns,
  ServerCode,
} from './server-messages.js';
import { parseSqlDeallocate, parseSqlPrepare } from './sql-prepare.js';
import { splitStatements } from './statement-splitter.js';
import { StatementRun, type RecordedError } from './statement-run.js';

/** What every session observer of one pgtrail process shares. */
export interface StatementObserverOptions {
  readonly recording: RecordingConfig;
  /** Milliseconds since the Unix epoch, with sub-millisecond precision where available. */
  readonly clock: () => number;
  /** Called when the observer hit a bug of its own, or the sink failed an event that does not gate forwarding; the observer never throws into the forwarding path. */
  readonly onInternalError?: (err: unknown) => void;
}

/** An error of a Parse or Bind that the statement executed after it in the same batch inherits. */
interface OrphanError {
  readonly error: RecordedError;
  readonly prepared: PreparedStatement | null;
  readonly portal: Portal | null;
}

/**
 * Follows one session's traffic and turns it into statement events (see docs/recording.md). The
 * server answers client messages in order, so the observer keeps the client messages not yet
 * answered in a queue; each server message is about the queue's head. Outcomes wait for the next
 * ReadyForQuery, whose transaction status they carry. This file is long for a reason: the queue, the
 * skip-until-Sync state and the outcomes waiting for ReadyForQuery change together on almost every
 * message, and one reader should see the whole state machine at once. Names live in ClientNames,
 * outcomes in StatementRun, roles in RoleTracker.
 */
export class SessionObserver implements TrafficObserver {
  private count = 0;
  private readonly names = new ClientNames();
  private readonly queue: PendingMessage[] = [];
  /** Statements with an outcome, waiting for ReadyForQuery. */
  private awaitingReady: StatementRun[] = [];
  private readonly suspended = new Set<StatementRun>();
  /** After an error in the extended protocol the server ignores everything until Sync. */
  private skipping = false;
  private readonly deferredUndos: (() => void)[] = [];
  private orphanError: OrphanError | null = null;
  private copyIn: StatementRun | null = null;
  private copyOut: StatementRun | null = null;
  private readonly roles: RoleTracker;
  private utf8: boolean;
  /** The session's standard_conforming_strings (reported by the server): off makes \' an escape in '...'. */
  private standardStrings: boolean;
  private lastStatement = 0;
  /** Messages sent that the server answers with ReadyForQuery (Sync, Query, FunctionCall), and ReadyForQuery seen. */
  private batchesSent = 0;
  private readiesSeen = 0;

  constructor(
    private readonly session: ObservedSession,
    private readonly options: StatementObserverOptions,
  ) {
    this.roles = new RoleTracker(session.role);
    this.utf8 = isUtf8Encoding(session.serverParams.get('client_encoding'));
    this.standardStrings = session.serverParams.get('standard_conforming_strings') !== 'off';
  }

  get statementCount(): number {
    return this.count;
  }

  clientMessage(code: number, body: Buffer): Promise<void> | null {
    try {
      return this.onClientMessage(code, body);
    } catch (err) {
      this.options.onInternalError?.(err);
      return null;
    }
  }

  clientCopyData(piece: Buffer): void {
    try {
      this.copyIn?.copyPiece(piece);
    } catch (err) {
      this.options.onInternalError?.(err);
    }
  }

  serverMessage(code: number, body: Buffer): void {
    try {
      this.onServerMessage(code, body);
    } catch (err) {
      this.options.onInternalError?.(err);
    }
  }

  serverDataPiece(code: number, piece: Buffer, first: boolean, last: boolean): void {
    try {
      if (code === ServerCode.DataRow) currentRun(this.queue[0])?.dataRowPiece(piece, first, last);
      else if (code === ServerCode.CopyData) this.copyOut?.copyPiece(piece);
    } catch (err) {
      this.options.onInternalError?.(err);
    }
  }

  cancelRequested(client: Peer): void {
    let running: number | null = null;
    for (const pending of this.queue) {
      const run = currentRun(pending);
      if (run !== null && !run.isComplete) {
        running = run.statement;
        break;
      }
    }
    this.emit({
      type: 'statement.cancel_requested',
      ts: this.options.clock(),
      session: this.session.session,
      statement: running,
      client,
    });
  }

  sessionEnded(_reason: CloseReason): void {
    const open = new Set<StatementRun>(this.awaitingReady);
    for (const pending of this.queue) {
      if (pending.kind === 'query') for (const run of pending.runs) open.add(run);
      else if (pending.kind === 'execute' || pending.kind === 'function_call') open.add(pending.run);
    }
    for (const run of this.suspended) open.add(run);
    this.queue.length = 0;
    this.awaitingReady = [];
    this.suspended.clear();
    this.copyIn = null;
    this.copyOut = null;
    const now = this.options.clock();
    for (const run of open) this.emit(run.finish(run.completedAt ?? now, null));
  }

  private onClientMessage(code: number, body: Buffer): Promise<void> | null {
    switch (code) {
      case ClientCode.Query:
        return this.onQuery(body);
      case ClientCode.Parse:
        this.onParse(body);
        return null;
      case ClientCode.Bind:
        this.onBind(body);
        return null;
      case ClientCode.Describe:
        this.onDescribe(body);
        return null;
      case ClientCode.Execute:
        return this.onExecute(body);
      case ClientCode.Close:
        this.onClose(body);
        return null;
      case ClientCode.Sync:
        if (this.skipping) {
          this.skipping = false;
          for (const undo of this.deferredUndos.splice(0)) undo();
        }
        this.queue.push({ kind: 'sync' });
        this.batchesSent++;
        return null;
      case ClientCode.FunctionCall:
        return this.onFunctionCall(body);
      case ClientCode.CopyDone:
      case ClientCode.CopyFail:
        this.copyIn = null;
        return null;
      default:
        return null;
    }
  }

  private onQuery(body: Buffer): Promise<void> | null {
    const query = decodeQuery(body);
    if (query === null) return null;
    // Fast path: without a ';' the string is one statement, recorded exactly as sent.
    const ranges = query.includes(0x3b) ? splitStatements(query, this.standardStrings) : [];
    const pieces = ranges.length <= 1 ? [query] : ranges.map((r) => query.subarray(r.start, r.end));
    const runs: StatementRun[] = [];
    const promises: Promise<void>[] = [];
    for (const piece of pieces) {
      const { run, promise } = this.start('simple', toRecordedText(piece, this.utf8), null, null, null);
      runs.push(run);
      if (promise !== null) promises.push(promise);
    }
    const pending: PendingMessage = { kind: 'query', runs, next: 0 };
    if (!this.skipping) this.batchesSent++;
    this.enqueue(pending);
    if (promises.length === 0) return null;
    return this.watchDurable(
      promises.length === 1 ? (promises[0] as Promise<void>) : Promise.all(promises).then(() => {}),
      runs,
      pending,
    );
  }

  private onParse(body: Buffer): void {
    const parse = decodeParse(body);
    if (parse === null) return;
    const sql = toRecordedText(parse.query, this.utf8);
    const prepared: PreparedStatement = {
      name: parse.name,
      sql,
      sqlText: typeof sql === 'string' ? sql : null,
      paramTypes: parse.paramTypes,
      described: null,
    };
    const undo = this.names.parse(prepared);
    this.enqueue({ kind: 'parse', prepared, undo });
  }

  private onBind(body: Buffer): void {
    const bind = decodeBind(body);
    if (bind === null) return;
    const prepared = this.names.statement(bind.statement);
    const portal: Portal = {
      name: bind.portal,
      prepared,
      params: recordBindParams(bind, prepared),
      columns: bindColumns(bind),
      activeRun: null,
      batch: this.batchesSent,
    };
    const { undo, replaced } = this.names.bind(portal);
    if (replaced !== null) this.retirePortal(replaced);
    this.enqueue({ kind: 'bind', portal, undo });
  }

  private onDescribe(body: Buffer): void {
    const target = decodeTarget(body);
    if (target === null) return;
    if (target.kind === 'S')
      this.enqueue({ kind: 'describe', prepared: this.names.statement(target.name), portal: null });
    else this.enqueue({ kind: 'describe', prepared: null, portal: this.names.portal(target.name) });
  }

  private onExecute(body: Buffer): Promise<void> | null {
    const execute = decodeExecute(body);
    if (execute === null) return null;
    const portal = this.names.portal(execute.portal);
    const active = portal?.activeRun;
    if (portal !== null && active !== null && active !== undefined && !active.isComplete) {
      this.enqueue({ kind: 'execute', run: active, portal, continues: true });
      return null;
    }
    const prepared = portal?.prepared ?? null;
    // A portal or statement pgtrail never saw (e.g. SQL-level PREPARE) is recorded with empty text.
    const { run, promise } = this.start(
      'extended',
      prepared?.sql ?? '',
      portal?.params ?? null,
      prepared?.name ?? null,
      execute.portal,
    );
    if (portal !== null) {
      run.columns = portal.columns;
      if (execute.maxRows > 0) portal.activeRun = run;
    }
    const pending: PendingMessage = { kind: 'execute', run, portal, continues: false };
    this.enqueue(pending);
    return promise === null ? null : this.watchDurable(promise, [run], pending);
  }

  private onClose(body: Buffer): void {
    const target = decodeTarget(body);
    if (target === null) return;
    if (target.kind === 'S') {
      this.enqueue({ kind: 'close', undo: this.names.closeStatement(target.name) });
    } else {
      const { undo, closed } = this.names.closePortal(target.name);
      if (closed !== null) this.retirePortal(closed);
      this.enqueue({ kind: 'close', undo });
    }
  }

  private onFunctionCall(body: Buffer): Promise<void> | null {
    const call = decodeFunctionCall(body);
    if (call === null) return null;
    // Arguments carry no type OIDs: binary ones are recorded as hex.
    const params = call.args.map((a, i) =>
      a === null ? null : formatOf(call.argFormats, i) === 0 ? toValueText(a) : toHexText(a),
    );
    const { run, promise } = this.start('function_call', `FunctionCall ${call.functionOid}`, params, null, null);
    const pending: PendingMessage = { kind: 'function_call', run };
    if (!this.skipping) this.batchesSent++;
    this.enqueue(pending);
    return promise === null ? null : this.watchDurable(promise, [run], pending);
  }

  private start(
    protocol: StatementProtocol,
    sql: RecordedText,
    params: readonly (string | null)[] | null,
    preparedName: string | null,
    portal: string | null,
  ): { run: StatementRun; promise: Promise<void> | null } {
    const ts = this.options.clock();
    const statement = ++this.count;
    const run = new StatementRun(
      this.session.session,
      statement,
      ts,
      typeof sql === 'string' ? sql : null,
      this.options.recording,
    );
    const event: StatementStarted = {
      type: 'statement.started',
      ts,
      session: this.session.session,
      statement,
      user: this.session.identity.user,
      role: this.roles.role,
      protocol,
      sql,
      params,
      preparedName,
      portal,
      redaction: null,
    };
    let promise: Promise<void> | null;
    try {
      promise = this.session.sink.record(event);
    } catch (err) {
      // A sink that throws has not recorded the statement: the session must not forward it.
      promise = Promise.reject(err);
    }
    return { run, promise };
  }

  /**
   * The statement leaves pgtrail once its record is durable: its duration starts then. If the record
   * cannot be made durable the session does not forward the message, so the server never answers it.
   */
  private watchDurable(promise: Promise<void>, runs: readonly StatementRun[], pending: PendingMessage): Promise<void> {
    promise.then(
      () => {
        const now = this.options.clock();
        for (const run of runs) run.sentAt = now;
      },
      () => {
        const at = this.queue.indexOf(pending);
        if (at >= 0) this.queue.splice(at, 1);
        for (const run of runs) {
          if (run.isComplete) continue;
          run.skip();
          this.awaitingReady.push(run);
        }
      },
    );
    return promise;
  }

  private enqueue(pending: PendingMessage): void {
    if (this.skipping) this.skip(pending, true);
    else this.queue.push(pending);
  }

  /** The server will not process `pending` (an earlier error in its batch). */
  private skip(pending: PendingMessage, deferUndo: boolean): void {
    switch (pending.kind) {
      case 'parse':
      case 'bind':
      case 'close':
        if (deferUndo) this.deferredUndos.push(pending.undo);
        else pending.undo();
        return;
      case 'query':
        for (const run of pending.runs) this.skipRun(run);
        return;
      case 'function_call':
        this.skipRun(pending.run);
        return;
      case 'execute': {
        if (pending.continues) return; // a suspended statement stays open until its portal ends
        if (pending.portal !== null && pending.portal.activeRun === pending.run) pending.portal.activeRun = null;
        const orphan = this.orphanError;
        if (
          orphan !== null &&
          pending.portal !== null &&
          (orphan.portal === pending.portal ||
            (orphan.prepared !== null && orphan.prepared === pending.portal.prepared))
        ) {
          this.orphanError = null;
          pending.run.fail(orphan.error, this.options.clock());
          this.awaitingReady.push(pending.run);
        } else {
          this.skipRun(pending.run);
        }
        return;
      }
      default:
        return;
    }
  }

  private skipRun(run: StatementRun): void {
    if (run.isComplete) return;
    run.skip();
    this.awaitingReady.push(run);
  }

  /** After an extended-protocol error the server discards messages until Sync. */
  private skipUntilSync(): void {
    while (this.queue.length > 0 && this.queue[0]?.kind !== 'sync')
      this.skip(this.queue.shift() as PendingMessage, false);
    if (this.queue.length === 0) this.skipping = true;
  }

  /** A portal is gone (replaced, closed): a statement suspended on it ends with what it sent. */
  private retirePortal(portal: Portal): void {
    const run = portal.activeRun;
    portal.activeRun = null;
    if (run === null || !this.suspended.delete(run)) return;
    run.suspended = false;
    this.awaitingReady.push(run);
  }

  private onServerMessage(code: number, body: Buffer): void {
    const head = this.queue[0];
    switch (code) {
      case ServerCode.ParseComplete:
        if (head?.kind === 'parse') this.queue.shift();
        return;
      case ServerCode.BindComplete:
        if (head?.kind === 'bind') this.queue.shift();
        return;
      case ServerCode.CloseComplete:
        if (head?.kind === 'close') this.queue.shift();
        return;
      case ServerCode.ParameterDescription:
        if (head?.kind === 'describe' && head.prepared !== null)
          head.prepared.described = decodeParameterDescription(body);
        return;
      case ServerCode.RowDescription:
        this.onRowDescription(head, body);
        return;
      case ServerCode.NoData:
        if (head?.kind === 'describe') this.queue.shift();
        return;
      case ServerCode.CommandComplete:
        this.onComplete(head, decodeCommandComplete(body) ?? '');
        return;
      case ServerCode.EmptyQueryResponse:
        this.onComplete(head, null);
        return;
      case ServerCode.PortalSuspended:
        if (head?.kind !== 'execute') return;
        this.queue.shift();
        head.run.suspend(this.options.clock());
        this.suspended.add(head.run);
        return;
      case ServerCode.ErrorResponse:
        this.onError(head, body);
        return;
      case ServerCode.ReadyForQuery:
        this.onReadyForQuery(decodeReadyForQuery(body));
        return;
      case ServerCode.CopyInResponse:
        this.copyIn = currentRun(head);
        this.copyIn?.startCopy('in');
        return;
      case ServerCode.CopyOutResponse:
      case ServerCode.CopyBothResponse:
        this.copyOut = currentRun(head);
        this.copyOut?.startCopy('out');
        return;
      case ServerCode.CopyDone:
        this.copyOut = null;
        return;
      case ServerCode.FunctionCallResponse:
        if (head?.kind === 'function_call') {
          head.run.resultBody(body);
          head.run.complete(null, this.options.clock());
        }
        return;
      case ServerCode.NotificationResponse:
        this.onNotification(body);
        return;
      case ServerCode.ParameterStatus:
        this.onParameterStatus(body);
        return;
      default:
        return;
    }
  }

  private onRowDescription(head: PendingMessage | undefined, body: Buffer): void {
    if (head?.kind === 'describe') {
      this.queue.shift();
      if (head.portal !== null && this.options.recording.captureRows > 0) {
        const columns = decodeRowDescriptionColumns(body);
        if (columns === null) return;
        head.portal.columns = columns;
        // Executes sent right behind the Describe took the Bind's formats only: give them the types too.
        for (const pending of this.queue)
          if (pending.kind === 'execute' && pending.portal === head.portal) pending.run.columns = columns;
      }
    } else if (head?.kind === 'query' && this.options.recording.captureRows > 0) {
      const run = currentRun(head);
      const columns = decodeRowDescriptionColumns(body);
      if (run !== null && columns !== null) run.columns = columns;
    }
  }

  private onComplete(head: PendingMessage | undefined, tag: string | null): void {
    const now = this.options.clock();
    if (head?.kind === 'query') {
      const run = head.runs[head.next];
      if (run === undefined) return;
      head.next++;
      run.complete(tag, now);
      this.afterSuccess(run, tag);
    } else if (head?.kind === 'execute') {
      this.queue.shift();
      head.run.complete(tag, now);
      this.suspended.delete(head.run);
      if (head.portal !== null && head.portal.activeRun === head.run) head.portal.activeRun = null;
      this.awaitingReady.push(head.run);
      this.afterSuccess(head.run, tag);
    }
  }

  private afterSuccess(run: StatementRun, tag: string | null): void {
    this.lastStatement = run.statement;
    if (tag === null) return;
    if (tag === 'DEALLOCATE ALL' || tag === 'DISCARD ALL') this.names.forgetStatements();
    else if ((tag === 'PREPARE' || tag === 'DEALLOCATE') && run.sqlText !== null)
      this.followSqlPrepare(tag, run.sqlText);
    if (this.roles.statementSucceeded(tag, run.sqlText)) this.roleChanged(run.statement);
  }

  /** SQL PREPARE and DEALLOCATE share the protocol's statement names: a later Bind may name one. */
  private followSqlPrepare(tag: 'PREPARE' | 'DEALLOCATE', sql: string): void {
    if (tag === 'DEALLOCATE') {
      const name = parseSqlDeallocate(sql);
      if (name !== null) this.names.closeStatement(name);
      return;
    }
    const prepared = parseSqlPrepare(sql);
    // Its parameter types are SQL type names, not OIDs: binary parameters bound to it are recorded as hex.
    if (prepared !== null)
      this.names.parse({
        name: prepared.name,
        sql: prepared.body,
        sqlText: prepared.body,
        paramTypes: [],
        described: null,
      });
  }

  private onError(head: PendingMessage | undefined, body: Buffer): void {
    const fields = decodeErrorFields(body);
    if (fields === null) return;
    const error: RecordedError = { code: fields.code, message: fields.message };
    const now = this.options.clock();
    this.roles.statementFailed();
    if (head === undefined) return;
    switch (head.kind) {
      case 'query': {
        const run = head.runs[head.next];
        if (run !== undefined) {
          run.fail(error, now);
          this.lastStatement = run.statement;
        }
        // The rest of a failed Query string is not executed.
        for (const later of head.runs.slice(head.next + 1)) later.skip();
        head.next = head.runs.length;
        return;
      }
      case 'function_call':
        head.run.fail(error, now);
        return;
      case 'sync': {
        // The implicit COMMIT at Sync failed (e.g. a deferred constraint): the batch's last statement carries it.
        const last = this.awaitingReady[this.awaitingReady.length - 1];
        if (last !== undefined && last.error === null && !last.notExecuted) last.fail(error, last.completedAt ?? now);
        return;
      }
      case 'execute':
        this.queue.shift();
        head.run.fail(error, now);
        this.suspended.delete(head.run);
        if (head.portal !== null && head.portal.activeRun === head.run) head.portal.activeRun = null;
        this.awaitingReady.push(head.run);
        this.lastStatement = head.run.statement;
        break;
      case 'parse':
        this.queue.shift();
        head.undo();
        this.orphanError = { error, prepared: head.prepared, portal: null };
        break;
      case 'bind':
        this.queue.shift();
        head.undo();
        this.orphanError = { error, prepared: null, portal: head.portal };
        break;
      default:
        this.queue.shift();
    }
    this.skipUntilSync();
  }

  private onReadyForQuery(status: 'I' | 'T' | 'E' | null): void {
    this.readiesSeen++;
    let index = 0;
    while (index < this.queue.length && !answeredByReadyForQuery(this.queue[index] as PendingMessage)) index++;
    if (index === this.queue.length) index = -1;
    // Anything before the message ReadyForQuery answers was not answered: it finishes without an outcome.
    for (let i = 0; i <= index; i++) {
      const pending = this.queue.shift() as PendingMessage;
      if (pending.kind === 'query') this.awaitingReady.push(...pending.runs);
      else if (pending.kind === 'function_call' || (pending.kind === 'execute' && !pending.continues))
        this.awaitingReady.push(pending.run);
    }
    this.orphanError = null;
    const ready = this.awaitingReady;
    this.awaitingReady = [];
    if (status === 'I') {
      // Portals end with their transaction: statements suspended on them end here.
      if (this.suspended.size > 0) {
        for (const run of this.suspended) {
          run.suspended = false;
          ready.push(run);
        }
        this.suspended.clear();
      }
      this.names.forgetPortalsBefore(this.readiesSeen);
    }
    for (const run of ready) {
      if (run === this.copyIn) this.copyIn = null;
      this.emit(run.finish(run.completedAt ?? this.options.clock(), status));
    }
    if (status !== null && this.roles.readyForQuery(status)) this.roleChanged(this.lastStatement);
  }

  private onNotification(body: Buffer): void {
    const n = decodeNotification(body);
    if (n === null) return;
    this.emit({
      type: 'session.notified',
      ts: this.options.clock(),
      session: this.session.session,
      channel: n.channel,
      senderPid: n.senderPid,
      payloadSha256: createHash('sha256').update(n.payload).digest('hex'),
    });
  }

  private onParameterStatus(body: Buffer): void {
    const p = decodeParameterStatus(body);
    if (p === null) return;
    if (p.name === 'client_encoding') this.utf8 = isUtf8Encoding(p.value);
    else if (p.name === 'standard_conforming_strings') this.standardStrings = p.value !== 'off';
    else if (p.name === 'session_authorization' && this.roles.sessionAuthorization(p.value))
      this.roleChanged(this.lastStatement);
  }

  private roleChanged(statement: number): void {
    this.emit({
      type: 'session.role_changed',
      ts: this.options.clock(),
      session: this.session.session,
      statement,
      role: this.roles.role,
    });
  }

  /** Records an event that does not gate forwarding; a failure to record it is the recorder's to report. */
  private emit(event: TrailEvent): void {
    try {
      const promise = this.session.sink.record(event);
      promise?.catch((err: unknown) => this.options.onInternalError?.(err));
    } catch (err) {
      this.options.onInternalError?.(err);
    }
  }
}

/** The messages the server answers with ReadyForQuery. */
function answeredByReadyForQuery(pending: PendingMessage): boolean {
  return pending.kind === 'query' || pending.kind === 'sync' || pending.kind === 'function_call';
}
