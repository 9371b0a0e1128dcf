/**
 * With a remote journal recorded on the recording thread, the forwarding thread must refuse a
 * statement whose record could be larger than the recorder's wire allows (16 MiB of JSON) before it
 * leaves: the thread sees it only after it has gone. Both threads apply this same rule to the
 * client's messages (the thread stops reading a session whose message it refuses, as the session
 * ends over it). A Query or FunctionCall is one event; a prepared statement's text (Parse) and its
 * parameters (Bind) each get half of the room.
 */
import { ordinaryEventBound, textJsonBound } from '../../recorder/remote/gating-bound.js';
import { wireLimits } from '../../recorder/wire/recorder-frames.js';
import { BackendError } from '../backend-error.js';
import { FrontendCode } from '../protocol/message-codes.js';

const wholeEvent = wireLimits.maxEventBytes - ordinaryEventBound;

/** The room a message's text may take, by message type; 0 for messages that carry no statement text. */
const ROOM = new Uint32Array(256);
ROOM[FrontendCode.Query] = wholeEvent;
ROOM[FrontendCode.FunctionCall] = wholeEvent;
ROOM[FrontendCode.Parse] = Math.floor(wholeEvent / 2);
ROOM[FrontendCode.Bind] = Math.floor(wholeEvent / 2);

/** The session-ending refusal of a message whose record could not cross the wire, or null. */
export function wireRefusal(code: number, body: Buffer): BackendError | null {
  const room = ROOM[code] ?? 0;
  // Every byte takes at most 6: only a large message needs counting.
  if (room === 0 || body.length * 6 <= room || textJsonBound(body) <= room) return null;
  return new BackendError(
    'NOT_RECORDED',
    '54000',
    'the statement could not be recorded and was not run: its record would be larger than the recorder accepts (16 MiB)',
  );
}
