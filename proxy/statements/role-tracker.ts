import { isRollbackToSavepoint, parseRoleStatement } from './role-statement.js';

/**
 * The effective role of a session, followed through the statements that change it and the
 * transactions that keep or undo those changes. SET ROLE is transactional: a ROLLBACK (or an error
 * in an implicit transaction) restores the role of the last commit, and SET LOCAL ROLE lasts until
 * the end of its transaction. Savepoint rollbacks are not followed (documented in docs/recording.md).
 * Each method returns true when the effective role changed.
 */
export class RoleTracker {
  private sessionUser: string;
  /** The role the session has now. */
  private effective: string;
  /** The role it keeps after the current transaction commits (differs from effective after SET LOCAL). */
  private persistent: string;
  /** The persistent role at the last commit: what a rollback returns to. */
  private committed: string;
  private errorSinceBoundary = false;

  constructor(initialRole: string) {
    this.sessionUser = initialRole;
    this.effective = initialRole;
    this.persistent = initialRole;
    this.committed = initialRole;
  }

  /** The effective role now. */
  get role(): string {
    return this.effective;
  }

  /** A statement completed with `tag`; `sql` is its text when known. */
  statementSucceeded(tag: string, sql: string | null): boolean {
    const before = this.effective;
    if (tag === 'COMMIT' || tag === 'PREPARE TRANSACTION') this.commit();
    else if (tag === 'ROLLBACK' && !(sql !== null && isRollbackToSavepoint(sql))) this.rollback();
    else if ((tag === 'SET' || tag === 'RESET' || tag === 'DISCARD ALL') && sql !== null) {
      const change = parseRoleStatement(sql);
      if (change !== null) {
        const role = change.kind === 'set' ? change.role : this.sessionUser;
        this.effective = role;
        if (!change.local) this.persistent = role;
      }
    }
    return this.effective !== before;
  }

  /** A statement failed: its implicit transaction, if it is one, will roll back. */
  statementFailed(): void {
    this.errorSinceBoundary = true;
  }

  /** ReadyForQuery: at 'I' the transaction has ended, committed unless an error was seen since the last boundary. */
  readyForQuery(status: 'I' | 'T' | 'E'): boolean {
    if (status !== 'I') return false;
    const before = this.effective;
    if (this.errorSinceBoundary) this.rollback();
    else this.commit();
    return this.effective !== before;
  }

  /** ParameterStatus session_authorization: the session user changed (SET/RESET SESSION AUTHORIZATION). */
  sessionAuthorization(user: string): boolean {
    if (user === this.sessionUser) return false;
    const before = this.effective;
    this.sessionUser = user;
    this.effective = user;
    this.persistent = user;
    return this.effective !== before;
  }

  private commit(): void {
    this.effective = this.persistent;
    this.committed = this.persistent;
    this.errorSinceBoundary = false;
  }

  private rollback(): void {
    this.effective = this.committed;
    this.persistent = this.committed;
    this.errorSinceBoundary = false;
  }
}
