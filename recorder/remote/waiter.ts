/** A promise a caller may wait on and the sink settles later, and a refusal given at once; neither is ever an unhandled rejection. */

/** A pending promise with its settle functions. */
export interface Waiter {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

/** A waiter whose promise never counts as unhandled: callers ignore the promises of events that do not gate forwarding. */
export function newWaiter(): Waiter {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** A promise already rejected with `error`, which a caller may ignore. */
export function rejected(error: Error): Promise<void> {
  const promise = Promise.reject(error);
  promise.catch(() => undefined);
  return promise;
}
