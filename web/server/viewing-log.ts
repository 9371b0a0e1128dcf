import type { Peer, TrailEvent, ViewingAction } from '../../recorder/events.js';
import type { Viewer } from './viewer-auth.js';

/** Writes a viewing record (viewer.viewed) and resolves once it is durable. */
export type ViewingLog = (viewer: Viewer, client: Peer, action: ViewingAction, target: string) => Promise<void>;

/** Longest `target` recorded, in characters (a search's filters); longer ones are cut and marked. */
const maxTargetChars = 2000;

/**
 * A ViewingLog that appends through `append` (a journal writer's durable append). The viewer awaits
 * it before it answers: what cannot be recorded is not shown.
 */
export function viewingLog(append: (event: TrailEvent) => Promise<void>, now: () => number = Date.now): ViewingLog {
  return (viewer, client, action, target) =>
    append({
      type: 'viewer.viewed',
      ts: now(),
      session: viewer.session,
      viewer: viewer.user,
      method: viewer.method,
      client,
      action,
      target: target.length > maxTargetChars ? `${target.slice(0, maxTargetChars)}…` : target,
    });
}
