/**
 * The frames proxies and a recorder service exchange over WebSocket (docs/recorder-protocol.md is
 * the specification; this file is its code). Each WebSocket binary message is exactly one frame:
 * a type byte, then a body whose layout the type fixes. Integers are big-endian; sequence numbers
 * are u64 on the wire and limited to 1 .. 2^53 - 1 so they are exact JavaScript numbers.
 *
 * Decoding is strict and all-or-nothing: a frame whose length, type, counts or strings are out of
 * bounds, or that has bytes left over, throws a WireError and nothing of it is used.
 */
import { WireError, WireErrorCode } from './wire-error.js';

/** The protocol version this code speaks; carried in Hello and Welcome and in the subprotocol name. */
export const protocolVersion = 1;
/** The WebSocket subprotocol a proxy asks for and a recorder accepts (the version is part of the name). */
export const subprotocol = `pgtrail-recorder.${protocolVersion}`;

/** Frame type bytes. */
export const FrameType = {
  hello: 0x01,
  welcome: 0x02,
  batch: 0x03,
  ack: 0x04,
  refusal: 0x05,
} as const;

/** Bounds every decoder enforces. */
export const wireLimits = {
  /** An instance name: 1 to 128 bytes of [A-Za-z0-9._:@-]. */
  maxInstanceBytes: 128,
  /** Events in one Batch. */
  maxBatchEvents: 65_536,
  /** One event's JSON. */
  maxEventBytes: 16 * 1024 * 1024,
  /** One whole frame (the WebSocket maxPayload of both ends). */
  maxFrameBytes: 64 * 1024 * 1024,
  /** A Refusal's message. */
  maxMessageBytes: 1024,
} as const;

const instancePattern = /^[A-Za-z0-9._:@-]{1,128}$/;
const codePattern = /^[A-Z][A-Z0-9_]{0,63}$/;

/** The proxy's first frame: who it is. */
export interface Hello {
  readonly type: 'hello';
  readonly version: number;
  readonly instance: string;
}

/** The recorder's answer to Hello: the last sequence number of this instance that is durable (0: none). */
export interface Welcome {
  readonly type: 'welcome';
  readonly version: number;
  readonly durableSeq: number;
}

/** Events numbered firstSeq, firstSeq + 1, ...: each the UTF-8 JSON of one TrailEvent. */
export interface Batch {
  readonly type: 'batch';
  readonly firstSeq: number;
  readonly events: readonly Buffer[];
}

/** Every event of this instance up to durableSeq is on the recorder's disk. */
export interface Ack {
  readonly type: 'ack';
  readonly durableSeq: number;
}

/** The recorder refuses the connection (and closes it): a stable code and a lowercase message. */
export interface Refusal {
  readonly type: 'refusal';
  readonly code: string;
  readonly message: string;
}

/** Any frame. */
export type Frame = Hello | Welcome | Batch | Ack | Refusal;

/** Whether `name` is a valid instance name. */
export function isInstanceName(name: string): boolean {
  return instancePattern.test(name);
}

/** Encodes Hello: 0x01, version u8, name length u8, name bytes. */
export function encodeHello(instance: string): Buffer {
  if (!isInstanceName(instance)) throw new WireError(WireErrorCode.malformed, 'the instance name is not valid');
  const name = Buffer.from(instance, 'latin1');
  const out = Buffer.allocUnsafe(3 + name.length);
  out[0] = FrameType.hello;
  out[1] = protocolVersion;
  out[2] = name.length;
  name.copy(out, 3);
  return out;
}

/** Encodes Welcome: 0x02, version u8, durableSeq u64. */
export function encodeWelcome(durableSeq: number): Buffer {
  const out = Buffer.allocUnsafe(10);
  out[0] = FrameType.welcome;
  out[1] = protocolVersion;
  writeSeq(out, 2, durableSeq, true);
  return out;
}

/** Encodes Ack: 0x04, durableSeq u64. */
export function encodeAck(durableSeq: number): Buffer {
  const out = Buffer.allocUnsafe(9);
  out[0] = FrameType.ack;
  writeSeq(out, 1, durableSeq, true);
  return out;
}

/** Encodes Refusal: 0x05, code length u8, code (ASCII), message length u16, message (UTF-8). */
export function encodeRefusal(code: string, message: string): Buffer {
  const codeBytes = Buffer.from(code, 'latin1');
  const text = Buffer.from(message, 'utf8').subarray(0, wireLimits.maxMessageBytes);
  const out = Buffer.allocUnsafe(4 + codeBytes.length + text.length);
  out[0] = FrameType.refusal;
  out[1] = codeBytes.length;
  codeBytes.copy(out, 2);
  out.writeUInt16BE(text.length, 2 + codeBytes.length);
  text.copy(out, 4 + codeBytes.length);
  return out;
}

/** The header of a Batch: 0x03, firstSeq u64, count u32; each event follows as length u32 and its bytes. */
export const batchHeaderBytes = 13;

/** Encodes a Batch of already serialised events into one buffer. */
export function encodeBatch(firstSeq: number, events: readonly Buffer[]): Buffer {
  if (events.length === 0 || events.length > wireLimits.maxBatchEvents) {
    throw new WireError(WireErrorCode.malformed, 'a batch holds 1 to 65536 events');
  }
  if (firstSeq > Number.MAX_SAFE_INTEGER - (events.length - 1)) throw malformed('sequence number out of bounds');
  let size = batchHeaderBytes;
  for (const e of events) size += 4 + e.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = FrameType.batch;
  writeSeq(out, 1, firstSeq, false);
  out.writeUInt32BE(events.length, 9);
  let at = batchHeaderBytes;
  for (const e of events) {
    out.writeUInt32BE(e.length, at);
    // TypedArray set: Buffer's copy costs more than the copying for an event's few hundred bytes.
    out.set(e, at + 4);
    at += 4 + e.length;
  }
  return out;
}

/** Decodes one frame (one WebSocket message); throws WireError unless the whole frame is well-formed. */
export function decodeFrame(frame: Buffer): Frame {
  if (frame.length === 0 || frame.length > wireLimits.maxFrameBytes) throw malformed('frame size out of bounds');
  switch (frame[0]) {
    case FrameType.hello:
      return decodeHello(frame);
    case FrameType.welcome:
      exactLength(frame, 10);
      checkVersion(frame[1]!);
      return { type: 'welcome', version: frame[1]!, durableSeq: readSeq(frame, 2, true) };
    case FrameType.batch:
      return decodeBatch(frame);
    case FrameType.ack:
      exactLength(frame, 9);
      return { type: 'ack', durableSeq: readSeq(frame, 1, true) };
    case FrameType.refusal:
      return decodeRefusal(frame);
    default:
      throw malformed('unknown frame type');
  }
}

function decodeHello(frame: Buffer): Hello {
  if (frame.length < 3) throw malformed('hello is truncated');
  checkVersion(frame[1]!);
  const length = frame[2]!;
  exactLength(frame, 3 + length);
  const instance = frame.toString('latin1', 3);
  if (!isInstanceName(instance)) throw malformed('the instance name is not valid');
  return { type: 'hello', version: frame[1]!, instance };
}

function decodeBatch(frame: Buffer): Batch {
  if (frame.length < batchHeaderBytes) throw malformed('batch is truncated');
  const firstSeq = readSeq(frame, 1, false);
  const count = frame.readUInt32BE(9);
  if (count === 0 || count > wireLimits.maxBatchEvents) throw malformed('batch event count out of bounds');
  if (firstSeq > Number.MAX_SAFE_INTEGER - (count - 1)) throw malformed('sequence number out of bounds');
  const events: Buffer[] = [];
  let at = batchHeaderBytes;
  for (let i = 0; i < count; i++) {
    if (at + 4 > frame.length) throw malformed('batch is truncated');
    const length = frame.readUInt32BE(at);
    at += 4;
    if (length < 2 || length > wireLimits.maxEventBytes) throw malformed('event size out of bounds');
    if (at + length > frame.length) throw malformed('batch is truncated');
    events.push(frame.subarray(at, at + length));
    at += length;
  }
  if (at !== frame.length) throw malformed('bytes after the last event');
  return { type: 'batch', firstSeq, events };
}

function decodeRefusal(frame: Buffer): Refusal {
  if (frame.length < 2) throw malformed('refusal is truncated');
  const codeLength = frame[1]!;
  if (frame.length < 4 + codeLength) throw malformed('refusal is truncated');
  const code = frame.toString('latin1', 2, 2 + codeLength);
  if (!codePattern.test(code)) throw malformed('refusal code is not valid');
  const messageLength = frame.readUInt16BE(2 + codeLength);
  if (messageLength > wireLimits.maxMessageBytes) throw malformed('refusal message too long');
  exactLength(frame, 4 + codeLength + messageLength);
  return { type: 'refusal', code, message: frame.toString('utf8', 4 + codeLength) };
}

function checkVersion(version: number): void {
  if (version !== protocolVersion) {
    throw new WireError(WireErrorCode.versionUnsupported, `protocol version ${version} is not supported`);
  }
}

function exactLength(frame: Buffer, length: number): void {
  if (frame.length !== length) throw malformed('frame length does not match its type');
}

/** u64 big-endian, within 1 .. 2^53 - 1 (or 0 where `zeroAllowed`: "nothing yet"). */
function readSeq(frame: Buffer, at: number, zeroAllowed: boolean): number {
  const high = frame.readUInt32BE(at);
  const low = frame.readUInt32BE(at + 4);
  if (high > 0x1fffff) throw malformed('sequence number out of bounds');
  const seq = high * 0x1_0000_0000 + low;
  if (seq === 0 && !zeroAllowed) throw malformed('sequence numbers start at 1');
  return seq;
}

function writeSeq(out: Buffer, at: number, seq: number, zeroAllowed: boolean): void {
  if (!Number.isSafeInteger(seq) || seq < (zeroAllowed ? 0 : 1)) {
    throw new WireError(WireErrorCode.malformed, 'sequence number out of bounds');
  }
  out.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), at);
  out.writeUInt32BE(seq >>> 0, at + 4);
}

function malformed(message: string): WireError {
  return new WireError(WireErrorCode.malformed, message);
}
