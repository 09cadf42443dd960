/**
 * Updates that arrive faster than the page can render them (a scoring job's results, one per
 * trajectory) are collected and applied together. A store update costs time in proportion to what
 * the store already holds (the analysis and the list follow every change), so one update per
 * arrival makes a big job quadratic and starves everything else on the page — the session writer
 * included, which then saves nothing until the job ends. Updates are spaced by what the last one
 * cost, so that applying them takes at most `share` of the page's time.
 */
export interface UpdateBatcherOptions {
  /** The shortest wait between two updates. */
  minIntervalMs?: number;
  /** The longest wait, however costly the last update was: what a crash can lose is bounded by it plus the writer's delay. */
  maxIntervalMs?: number;
  /** The page's share of time spent applying updates (and rendering them). */
  share?: number;
  /** The clock and the timer (tests give their own). */
  now?: () => number;
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export class UpdateBatcher<T> {
  private pending: T[] = [];
  private timer: unknown = undefined;
  private delayMs: number;
  private readonly minIntervalMs: number;
  private readonly maxIntervalMs: number;
  private readonly share: number;
  private readonly now: () => number;
  private readonly setTimer: (run: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;

  constructor(
    private readonly applyBatch: (items: T[]) => void,
    options: UpdateBatcherOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 250;
    this.maxIntervalMs = options.maxIntervalMs ?? 2000;
    this.share = options.share ?? 0.2;
    this.now = options.now ?? (() => performance.now());
    this.setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
    this.clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
    this.delayMs = this.minIntervalMs;
  }

  /** The wait before the next update. */
  get nextDelayMs(): number {
    return this.delayMs;
  }

  /** Queues an item; the batch is applied after the current wait. */
  add(item: T): void {
    this.pending.push(item);
    this.timer ??= this.setTimer(() => this.flush(), this.delayMs);
  }

  /** Applies what is queued now (the job ended, or the page goes away). */
  flush(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    const started = this.now();
    this.applyBatch(items);
    // React renders a store update in a microtask: a task queued now runs after that render, so it measures both.
    this.setTimer(() => this.costWas(this.now() - started), 0);
  }

  /** Drops what is queued (the job is no longer the page's). */
  discard(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    this.pending = [];
  }

  private costWas(costMs: number): void {
    const wait = (costMs * (1 - this.share)) / this.share;
    this.delayMs = Math.min(this.maxIntervalMs, Math.max(this.minIntervalMs, wait));
  }
}

export type JobArrival<Result, Progress> = { progress: Progress } | { result: Result } | { error: { key: string; message: string } };

/**
 * A scoring job's arrivals from the worker, batched. The worker's results and progress come on
 * another channel than the job's end, so the end can overtake the last of them: `settled` waits
 * until every trajectory of the job has its result or error and the progress says so.
 */
export class JobArrivals<Result, Progress extends { trajectoriesDone: number }> {
  private readonly batcher: UpdateBatcher<JobArrival<Result, Progress>>;
  private finished = 0;
  private progressDone = 0;
  private complete!: () => void;
  private readonly allArrived = new Promise<void>((resolve) => (this.complete = resolve));

  constructor(
    private readonly total: number,
    apply: (batch: JobArrival<Result, Progress>[]) => void,
    options?: UpdateBatcherOptions,
  ) {
    this.batcher = new UpdateBatcher(apply, options);
  }

  progress(progress: Progress): void {
    this.progressDone = progress.trajectoriesDone;
    this.add({ progress });
  }

  result(result: Result): void {
    this.finished++;
    this.add({ result });
  }

  error(key: string, message: string): void {
    this.finished++;
    this.add({ error: { key, message } });
  }

  /** Resolves once everything of a finished job has arrived, or after `timeoutMs` (a lost message must not hold the job open); then applies it. */
  async settled(timeoutMs = 5000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.allArrived, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.batcher.flush();
  }

  /** Applies what has arrived (the job was cancelled or failed: no more is awaited). */
  flush(): void {
    this.batcher.flush();
  }

  private add(arrival: JobArrival<Result, Progress>): void {
    this.batcher.add(arrival);
    if (this.finished >= this.total && this.progressDone >= this.total) this.complete();
  }
}
