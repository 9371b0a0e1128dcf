/**
 * What the forwarding thread must know of a remote journal recorded on the recording thread
 * (docs/recording-thread.md, "A remote journal"): whether a new statement or session may go now.
 * The recording thread owns the sink and its link to the recorder service; it publishes their state
 * here, in shared memory, after each read of the ring and on each change of the link, and the
 * forwarding thread reads it without a message.
 *
 * Layout: an Int32 gate state at byte 0, then three float64 at bytes 8, 16, 24: the link is open
 * (1/0), events not yet acknowledged, bytes in the spool (for the metrics endpoint).
 */
import { type RemoteRecorderError, unreachableRefusal } from '../../recorder/remote/remote-recorder-error.js';

/** The gate's states, named as RemoteSink.gateState() names them. */
export const RemoteGateState = {
  /** New statements and sessions go. */
  open: 0,
  /** The unacknowledged bound is reached and the link is up: new statements wait for acknowledgements. */
  wait: 1,
  /** The recorder was never reached (numbering unknown) and the link is down: refused, 57P03. */
  unreachable: 2,
  /** The unacknowledged bound is reached and the link is down: refused, 57P03. */
  spoolFull: 3,
} as const;

export type RemoteGateState = (typeof RemoteGateState)[keyof typeof RemoteGateState];

const GATE_BYTES = 32;
const STATE = 0;
const LINK_OPEN = 1;
const UNACKNOWLEDGED = 2;
const SPOOL_BYTES = 3;
/** How often a statement waiting in the `wait` state looks at the gate again. */
const WAIT_POLL_MS = 2;

/** The memory both threads share (structured clone keeps it shared). */
export function createRemoteGateMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(GATE_BYTES);
}

/** The link's state as the metrics endpoint reports it. */
export interface RemoteLinkStatus {
  readonly linkOpen: boolean;
  readonly unacknowledged: number;
  readonly spoolBytes: number;
}

/** Either thread's view of the shared gate. */
export class RemoteGate {
  readonly #state: Int32Array;
  readonly #numbers: Float64Array;

  constructor(memory: SharedArrayBuffer) {
    this.#state = new Int32Array(memory, 0, 1);
    this.#numbers = new Float64Array(memory);
  }

  get state(): RemoteGateState {
    return Atomics.load(this.#state, STATE) as RemoteGateState;
  }

  /** The recording thread: publishes the gate and the link's state. */
  publish(state: RemoteGateState, status: RemoteLinkStatus): void {
    this.#numbers[LINK_OPEN] = status.linkOpen ? 1 : 0;
    this.#numbers[UNACKNOWLEDGED] = status.unacknowledged;
    this.#numbers[SPOOL_BYTES] = status.spoolBytes;
    Atomics.store(this.#state, STATE, state);
  }

  /** The link's state as last published. */
  status(): RemoteLinkStatus {
    return {
      linkOpen: this.#numbers[LINK_OPEN] === 1,
      unacknowledged: this.#numbers[UNACKNOWLEDGED] ?? 0,
      spoolBytes: this.#numbers[SPOOL_BYTES] ?? 0,
    };
  }

  /** Resolves once the gate has left the `wait` state (whatever it became: what waited is recorded already). */
  async waitWhileFull(): Promise<void> {
    while (this.state === RemoteGateState.wait) await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

/** The refusal a statement or session gets in `state`, or null when it may go (or wait). */
export function gateRefusal(state: RemoteGateState): RemoteRecorderError | null {
  if (state === RemoteGateState.unreachable) return unreachableRefusal(false);
  if (state === RemoteGateState.spoolFull) return unreachableRefusal(true);
  return null;
}
