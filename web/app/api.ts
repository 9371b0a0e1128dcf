/** Talking to the viewer's server: JSON over fetch, with the session cookie; 401 sends the page to login. */

/** An answer other than success, with the server's message. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GETs (or POSTs `body` to) an API path and returns its JSON. */
export async function api<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const json = (await response.json().catch(() => ({}))) as { error?: unknown };
  if (!response.ok)
    throw new ApiError(response.status, typeof json.error === 'string' ? json.error : response.statusText);
  return json as T;
}

/** A query string from filter values, leaving out empty ones. */
export function query(values: Readonly<Record<string, string | boolean | number | undefined>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === '' || value === false) continue;
    params.set(key, value === true ? 'true' : String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
