/**
 * The bearer tokens a recorder service accepts, from its token file: one per line; blank lines and
 * lines starting with `#` are ignored. Only SHA-256 digests are kept, and a presented token is
 * compared with every one of them with timingSafeEqual, so neither the match nor its position
 * leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RecorderServiceError, RecorderServiceErrorCode } from './recorder-service-error.js';

const maxFileBytes = 64 * 1024;
/** Shorter tokens are refused: a guessable token would let anyone write into the journal. */
export const minTokenChars = 16;

/** A set of accepted tokens. */
export interface AccessTokens {
  /** Whether `presented` is one of the tokens (constant time in the presented value). */
  accepts(presented: string): boolean;
  readonly count: number;
}

/** Parses a token file's bytes; throws RECORDER_TOKEN_FILE_INVALID when it holds no usable token. */
export function parseAccessTokens(file: Buffer): AccessTokens {
  if (file.length > maxFileBytes) throw invalid('the token file is larger than 64 KiB');
  const digests: Buffer[] = [];
  for (const raw of file.toString('utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.length < minTokenChars || /\s/.test(line)) {
      throw invalid(`every token must be at least ${minTokenChars} characters without spaces`);
    }
    digests.push(digest(line));
  }
  if (digests.length === 0) throw invalid('the token file holds no token');
  return {
    count: digests.length,
    accepts(presented: string): boolean {
      const candidate = digest(presented);
      let match = false;
      for (const d of digests) match = timingSafeEqual(d, candidate) || match;
      return match;
    },
  };
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header.length > 4096) return null;
  const match = /^Bearer ([^\s]+)$/.exec(header);
  return match === null ? null : match[1]!;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function invalid(message: string): RecorderServiceError {
  return new RecorderServiceError(RecorderServiceErrorCode.tokenFileInvalid, message);
}
