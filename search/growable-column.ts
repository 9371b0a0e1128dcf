/** The typed-array constructors the index stores its columns in. */
export type ColumnArray = Float64Array | Uint32Array | Uint8Array;
type ColumnConstructor<T extends ColumnArray> = { new (length: number): T; readonly BYTES_PER_ELEMENT: number };

/** An append-only typed array that doubles its capacity as it fills; `view()` is the filled part. */
export class GrowableColumn<T extends ColumnArray> {
  private data: T;
  length = 0;

  constructor(
    private readonly make: ColumnConstructor<T>,
    initial: T | null = null,
  ) {
    // A loaded column is adopted as it is (no copy); the first push past its end copies it once.
    this.data = initial ?? new make(1024);
    this.length = initial?.length ?? 0;
  }

  push(value: number): number {
    if (this.length === this.data.length) {
      const bigger = new this.make(Math.max(1024, this.data.length * 2));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length] = value;
    return this.length++;
  }

  get(i: number): number {
    return this.data[i] ?? 0;
  }

  set(i: number, value: number): void {
    this.data[i] = value;
  }

  /** The filled part, sharing memory with the column. */
  view(): T {
    return this.data.subarray(0, this.length) as T; // subarray of T is T
  }

  /** The raw array: for hot loops that index it directly (entries past `length` are garbage). */
  raw(): T {
    return this.data;
  }
}
