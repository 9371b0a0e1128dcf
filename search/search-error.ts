/** What can go wrong in search/: a bad filter, or an index that does not match the journal. */
export type SearchErrorCode =
  | 'SEARCH_BAD_FILTER'
  | 'SEARCH_BAD_SESSION'
  | 'SEARCH_BAD_TIME'
  | 'SEARCH_INDEX_MISMATCH'
  | 'SEARCH_JOURNAL_MALFORMED'
  | 'SEARCH_JOURNAL_MISSING'
  | 'SEARCH_SESSION_AMBIGUOUS';

/** The one error class of search/; `code` is stable (docs/errors.md), the message never carries SQL. */
export class SearchError extends Error {
  override readonly name = 'SearchError';
  constructor(
    readonly code: SearchErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
