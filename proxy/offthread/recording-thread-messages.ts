import type { Config } from '../../config/config.js';
import type { ChunkRingMemory } from './chunk-ring.js';

/** What the recording thread starts with. */
export interface RecordingThreadData {
  readonly config: Config;
  readonly memory: ChunkRingMemory;
}

/** From the forwarding thread: close once every record in the ring is read. */
export type RecordingThreadRequest = { readonly type: 'close' };

/** What the forwarding thread announces of the journal it opened (as run-proxy.ts does for its own). */
export interface OpenedJournal {
  readonly verifierKey: string;
  readonly keyCreated: boolean;
  readonly keyPath: string;
  readonly keyInsideJournal: boolean;
  readonly closedLeftOpen: number;
}

/** From the recording thread. */
export type RecordingThreadReply =
  | ({ readonly type: 'ready' } & OpenedJournal)
  | { readonly type: 'not-opened'; readonly message: string }
  | { readonly type: 'failed'; readonly code: string; readonly message: string }
  | { readonly type: 'internal-error'; readonly name: string }
  | { readonly type: 'closed' };
