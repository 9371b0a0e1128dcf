/** The promise a batch's callers wait on (group-commit-writer.ts, remote-sink.ts), and a refusal given at once. */

/** A promise with its settle functions, shared by every caller of one batch. */
export interface Waiter {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

/** A waiter whose rejection is never unhandled. */
export function newWaiter(): Waiter {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller may ignore the promise (events that do not gate forwarding); never let that crash the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** A promise already rejected with `error`, which a caller may ignore. */
export function rejected(error: Error): Promise<void> {
  const promise = Promise.reject(error);
  promise.catch(() => undefined);
  return promise;
}
