/*
 * Gathers the asset IDs that arrive within a short window into ONE `validateMany` call.
 *
 * The catalog processes entities one by one (several concurrently); without this each entity would cost
 * its own CMDB request. With it, N distinct IDs that arrive together cost ceil(N / batchSize) requests
 * (the core plans the batches), and repeats within the TTL cost none (the validator's cache).
 */
import type { Verdict } from 'asset-id';

type Pending = {
  value: string;
  resolve: (verdict: Verdict) => void;
  reject: (error: unknown) => void;
};

export class VerdictBatcher {
  private queue: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly runBatch: (values: string[]) => Promise<Verdict[]>,
    private readonly windowMs: number,
    private readonly maxBatch = 1000,
  ) {}

  validate(value: string): Promise<Verdict> {
    return new Promise<Verdict>((resolve, reject) => {
      this.queue.push({ value, resolve, reject });
      if (this.queue.length >= this.maxBatch) {
        this.flush();
      } else if (!this.timer) {
        this.timer = setTimeout(() => this.flush(), this.windowMs);
      }
    });
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const unique = [...new Set(batch.map(p => p.value))];
    this.runBatch(unique).then(
      verdicts => {
        const byValue = new Map(unique.map((v, i) => [v, verdicts[i]]));
        for (const p of batch) {
          const verdict = byValue.get(p.value);
          if (verdict) p.resolve(verdict);
          else p.reject(new Error(`asset-id: validateMany returned no verdict for '${p.value}'`));
        }
      },
      error => {
        for (const p of batch) p.reject(error);
      },
    );
  }
}
