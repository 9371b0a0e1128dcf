/** What the viewer's server can answer with besides success; `code` is stable (docs/errors.md). */
export type ViewerErrorCode =
  | 'VIEWER_UNAUTHORIZED'
  | 'VIEWER_BAD_REQUEST'
  | 'VIEWER_NOT_FOUND'
  | 'VIEWER_NOT_RECORDED'
  | 'VIEWER_BUNDLE_UNAVAILABLE'
  | 'VIEWER_INTERNAL';

const statusOf: Readonly<Record<ViewerErrorCode, number>> = {
  VIEWER_UNAUTHORIZED: 401,
  VIEWER_BAD_REQUEST: 400,
  VIEWER_NOT_FOUND: 404,
  VIEWER_NOT_RECORDED: 503,
  VIEWER_BUNDLE_UNAVAILABLE: 409,
  VIEWER_INTERNAL: 500,
};

/** The one error class of web/server/; its message is sent to the browser, so it never carries SQL or secrets. */
export class ViewerError extends Error {
  override readonly name = 'ViewerError';
  constructor(
    readonly code: ViewerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The HTTP status this error is answered with. */
  get status(): number {
    return statusOf[this.code];
  }
}
