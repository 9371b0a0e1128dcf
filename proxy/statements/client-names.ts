import type { Portal, PreparedStatement } from './prepared-statements.js';

/**
 * The prepared statements and portals of a session as the client has named them, updated when the
 * client sends Parse, Bind and Close (so that an Execute sent right behind them resolves), with an
 * undo for each change in case the server refuses or skips the message. Every undo checks identity,
 * so that it never disturbs a later message that reused the name.
 */
export class ClientNames {
  private readonly statements = new Map<string, PreparedStatement>();
  /** Named portals; the unnamed one, bound and dropped at nearly every statement, is kept apart (no Map churn). */
  private readonly portals = new Map<string, Portal>();
  private unnamed: Portal | null = null;

  /** The prepared statement of that name ('' = unnamed), or null when pgtrail did not see it created. */
  statement(name: string): PreparedStatement | null {
    return this.statements.get(name) ?? null;
  }

  /** The portal of that name ('' = unnamed), or null. */
  portal(name: string): Portal | null {
    return name === '' ? this.unnamed : (this.portals.get(name) ?? null);
  }

  /**
   * Parse: the name is taken at once, as the server will take it (an SQL DEALLOCATE may have freed
   * it). Undo, for a refused Parse (42P05 when the name is in use), restores the previous statement;
   * a failed unnamed Parse leaves none, as on the server.
   */
  parse(prepared: PreparedStatement): () => void {
    const { name } = prepared;
    const previous = this.statements.get(name);
    this.statements.set(name, prepared);
    return () => {
      if (this.statements.get(name) !== prepared) return;
      if (name !== '' && previous !== undefined) this.statements.set(name, previous);
      else this.statements.delete(name);
    };
  }

  /** Bind: like parse for portals (42P03 when a named portal exists). Returns the portal it replaced. */
  bind(portal: Portal): { undo: () => void; replaced: Portal | null } {
    const { name } = portal;
    if (name === '') {
      const replaced = this.unnamed;
      this.unnamed = portal;
      const undo = (): void => {
        if (this.unnamed === portal) this.unnamed = null;
      };
      return { undo, replaced };
    }
    const previous = this.portals.get(name);
    this.portals.set(name, portal);
    const undo = (): void => {
      if (this.portals.get(name) !== portal) return;
      if (previous !== undefined) this.portals.set(name, previous);
      else this.portals.delete(name);
    };
    return { undo, replaced: null };
  }

  /** Close of a statement; undo puts it back unless the name was reused meanwhile. */
  closeStatement(name: string): () => void {
    const old = this.statements.get(name);
    this.statements.delete(name);
    return () => {
      if (old !== undefined && !this.statements.has(name)) this.statements.set(name, old);
    };
  }

  /** Close of a portal; returns the portal closed. */
  closePortal(name: string): { undo: () => void; closed: Portal | null } {
    if (name === '') {
      const old = this.unnamed;
      this.unnamed = null;
      const undo = (): void => {
        if (old !== null && this.unnamed === null) this.unnamed = old;
      };
      return { undo, closed: old };
    }
    const old = this.portals.get(name);
    this.portals.delete(name);
    const undo = (): void => {
      if (old !== undefined && !this.portals.has(name)) this.portals.set(name, old);
    };
    return { undo, closed: old ?? null };
  }

  /** DEALLOCATE ALL / DISCARD ALL succeeded: no prepared statement is left. */
  forgetStatements(): void {
    this.statements.clear();
  }

  /** A transaction ended at the `batch`-th ReadyForQuery: the server dropped the portals bound before it. */
  forgetPortalsBefore(batch: number): void {
    // Runs at every idle ReadyForQuery: most sessions hold just the unnamed portal, checked without an iterator.
    if (this.unnamed !== null && this.unnamed.batch < batch) this.unnamed = null;
    if (this.portals.size === 0) return;
    for (const portal of this.portals.values()) if (portal.batch < batch) this.portals.delete(portal.name);
  }
}
