/**
 * Type bytes and request codes of the PostgreSQL frontend/backend protocol 3.0, named as the
 * protocol documentation spells them (PostgreSQL docs, "Message Formats"). This is the one table:
 * the frame readers, the statement observer, authentication and replay/ all read their codes here
 * (replay/ may: this file and error-fields.ts import nothing, they are vocabulary, not the proxy).
 */

/** Type bytes of messages a client (frontend) sends after startup. */
export const FrontendCode = {
  Bind: 0x42, // 'B'
  Close: 0x43, // 'C'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyFail: 0x66, // 'f'
  Describe: 0x44, // 'D'
  Execute: 0x45, // 'E'
  Flush: 0x48, // 'H'
  FunctionCall: 0x46, // 'F'
  Parse: 0x50, // 'P'
  /** PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse all use 'p'. */
  PasswordMessage: 0x70, // 'p'
  Query: 0x51, // 'Q'
  Sync: 0x53, // 'S'
  Terminate: 0x58, // 'X'
} as const;

/** Type bytes of messages a server (backend) sends. */
export const BackendCode = {
  Authentication: 0x52, // 'R'
  BackendKeyData: 0x4b, // 'K'
  BindComplete: 0x32, // '2'
  CloseComplete: 0x33, // '3'
  CommandComplete: 0x43, // 'C'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyInResponse: 0x47, // 'G'
  CopyOutResponse: 0x48, // 'H'
  CopyBothResponse: 0x57, // 'W'
  DataRow: 0x44, // 'D'
  EmptyQueryResponse: 0x49, // 'I'
  ErrorResponse: 0x45, // 'E'
  FunctionCallResponse: 0x56, // 'V'
  NegotiateProtocolVersion: 0x76, // 'v'
  NoData: 0x6e, // 'n'
  NoticeResponse: 0x4e, // 'N'
  NotificationResponse: 0x41, // 'A'
  ParameterDescription: 0x74, // 't'
  ParameterStatus: 0x53, // 'S'
  ParseComplete: 0x31, // '1'
  PortalSuspended: 0x73, // 's'
  ReadyForQuery: 0x5a, // 'Z'
  RowDescription: 0x54, // 'T'
} as const;

/** The int32 after the length word of a packet sent before StartupMessage (or StartupMessage itself). */
export const StartupCode = {
  /** Protocol 3.0: major 3 in the high 16 bits, minor 0 in the low 16 bits. */
  ProtocolV3: 3 << 16,
  CancelRequest: 80877102,
  SSLRequest: 80877103,
  GSSENCRequest: 80877104,
} as const;

/** The one-byte answer to SSLRequest (and GSSENCRequest), sent before any message framing. */
export const SSLResponse = {
  /** The server will start TLS. */
  Accepted: 0x53, // 'S'
  /** The server will not; the client goes on in plaintext or gives up. */
  Refused: 0x4e, // 'N'
} as const;

/** The int32 that follows 'R' in the Authentication* messages. */
export const AuthRequest = {
  Ok: 0,
  KerberosV5: 2,
  CleartextPassword: 3,
  MD5Password: 5,
  GSS: 7,
  GSSContinue: 8,
  SSPI: 9,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const;

/** The first byte of a TLS handshake record: a client opening with it wants PostgreSQL 17 direct TLS. */
export const TLS_HANDSHAKE_BYTE = 0x16;

/** PostgreSQL's own bound on a startup packet (MAX_STARTUP_PACKET_LENGTH in pqcomm.h). */
export const MAX_STARTUP_PACKET_BYTES = 10_000;

/** Size of a message header after startup: the type byte and the int32 length (which counts itself). */
export const HEADER_BYTES = 5;
