export interface MicroBatcherOptions {
  /** Most items one write takes. */
  maxBatch: number;
  /** Writes under way at once; items arriving while all are busy wait and go together. */
  maxConcurrent: number;
  /**
   * How long the first waiting item may wait for company (0 = the next turn of the event loop).
   * For work off the hot path: bigger batches, fewer statements competing with it.
   */
  lingerMs?: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(output: O): void;
  reject(err: unknown): void;
}

/**
 * Group commit for the hot path: callers submit one item each; items that arrive while the
 * store is busy are written by one statement. At low load an item goes alone on the next turn
 * of the event loop, so batching costs no waiting; under load it turns N round trips (and N
 * commits) into one.
 */
export class MicroBatcher<I, O> {
  private waiting: Array<Waiting<I, O>> = [];
  private running = 0;
  private scheduled = false;

  /** `write` answers one output per item, in order. */
  constructor(
    private readonly write: (items: I[]) => Promise<O[]>,
    private readonly options: MicroBatcherOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.running >= this.options.maxConcurrent) return;
    this.scheduled = true;
    // After the current I/O callbacks (or the linger time): requests arriving meanwhile share the write.
    const later = (fn: () => void) =>
      this.options.lingerMs && this.waiting.length < this.options.maxBatch ? setTimeout(fn, this.options.lingerMs) : setImmediate(fn);
    later(() => {
      this.scheduled = false;
      while (this.running < this.options.maxConcurrent && this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.options.maxBatch);
        this.running += 1;
        void this.run(batch).finally(() => {
          this.running -= 1;
          this.schedule();
        });
      }
    });
  }

  private async run(batch: Array<Waiting<I, O>>): Promise<void> {
    try {
      const outputs = await this.write(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(outputs[i]));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      // One bad item must not fail its neighbours: each is tried alone and answers for itself.
      await Promise.all(
        batch.map(async (w) => {
          try {
            const [output] = await this.write([w.item]);
            w.resolve(output);
          } catch (itemErr) {
            w.reject(itemErr);
          }
        }),
      );
    }
  }
}
