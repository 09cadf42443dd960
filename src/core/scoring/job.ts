/**
 * A scoring job: a list of trajectories scored one after the other with a loaded pair, with
 * progress (throttled), per-trajectory errors that do not stop the job, cancellation between
 * chunks, prefix reuse across the job, and a hook that lets the host recover from an engine
 * failure (the worker reloads the pair on WASM after a WebGPU failure) and retry the trajectory.
 */
import type { PairProgress } from '../engine/pair';
import type { RenderMode, RenderedTrajectory } from '../render/types';
import type { ContextPolicy } from './context-policy';
import type { ScoringPair } from './load-pair';
import { releasePrefixCaches } from './load-pair';
import type { JobProgress, ScoredTrajectory, TrajectoryToScore } from './records';
import { renderPrimary, scoreTrajectory } from './score-trajectory';

export interface JobOptions {
  render: RenderMode;
  chunkSize?: number;
  /** Best-of-N trajectories share their system prompt: each starts from the previous one's KV cache. */
  reusePrefix: boolean;
  /** What is scored of a trajectory longer than the context (context-policy.ts); absent: `fit`. */
  context?: ContextPolicy;
  /** Fewest milliseconds between two progress reports about the same trajectory (each one re-renders a progress bar). */
  progressIntervalMs?: number;
}

export interface JobCallbacks {
  onProgress?(progress: JobProgress): void;
  /** Called before the next trajectory is scored (a CLI writes its line here). */
  onResult?(result: ScoredTrajectory): void | Promise<void>;
  onError?(key: string, message: string): void;
  /** Per model, as it runs (the CLI's status line). */
  onModelProgress?(key: string, progress: PairProgress): void;
}

export interface JobControl {
  /** The pair to score with now (a host may replace it after a failure). */
  pair(): ScoringPair;
  isCancelled(): boolean;
  /**
   * A trajectory failed (not by cancellation). Resolve true to score it again with `pair()`
   * (asked once per trajectory); false reports the error and goes on.
   */
  recover?(error: unknown): Promise<boolean>;
  /** Runs before each attempt (a testing aid can inject an engine failure here). */
  beforeAttempt?(pair: ScoringPair): void;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function runScoringJob(items: readonly TrajectoryToScore[], options: JobOptions, callbacks: JobCallbacks, control: JobControl): Promise<{ cancelled: boolean }> {
  const started = Date.now();
  const interval = options.progressIntervalMs ?? 100;
  const controller = new AbortController();
  // Counted in tokens of the rendered trajectories, so the total is known at the start and never
  // changes (what the models actually forward is smaller and only known afterwards: prefix reuse,
  // nothing run past the last scored token). A trajectory's tokens count as done once it is.
  let tokensDone = 0;
  let tokensTotal = 0;
  let lastProgressAt = -Infinity;
  let lastTrajectoriesDone = -1;
  const progress = (trajectoriesDone: number) => {
    const now = Date.now();
    if (trajectoriesDone === lastTrajectoriesDone && now - lastProgressAt < interval) return;
    lastProgressAt = now;
    lastTrajectoriesDone = trajectoriesDone;
    callbacks.onProgress?.({ trajectoriesDone, trajectoriesTotal: items.length, tokensDone, tokensTotal, elapsedMs: now - started });
  };
  const rendered: (RenderedTrajectory | Error)[] = items.map((item) => {
    try {
      const r = renderPrimary(control.pair(), item.trajectory, options.render);
      tokensTotal += r.tokenIds.length;
      return r;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
  const finish = async (cancelled: boolean) => {
    await releasePrefixCaches(control.pair());
    return { cancelled };
  };
  progress(0);
  for (let i = 0; i < items.length; i++) {
    if (control.isCancelled()) return finish(true);
    const r = rendered[i];
    if (r instanceof Error) {
      callbacks.onError?.(items[i].key, r.message);
      progress(i + 1); // a trajectory that could not be rendered is done too (its error is shown)
      continue;
    }
    for (let attempt = 0; ; attempt++) {
      const base = tokensDone;
      try {
        const pair = control.pair();
        control.beforeAttempt?.(pair);
        const result = await scoreTrajectory(pair, items[i].trajectory, {
          render: options.render,
          rendered: r,
          ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
          signal: controller.signal,
          reusePrefix: options.reusePrefix,
          ...(options.context ? { context: options.context } : {}),
          onTokens: (forwarded) => {
            // Both models forward the sequence: half the forwarded tokens is how far along it is.
            tokensDone = base + Math.min(r.tokenIds.length, Math.floor(forwarded / 2));
            if (control.isCancelled()) controller.abort();
            progress(i);
          },
          ...(callbacks.onModelProgress ? { onProgress: (p: PairProgress) => callbacks.onModelProgress!(items[i].key, p) } : {}),
        });
        tokensDone = base + r.tokenIds.length;
        await callbacks.onResult?.({ key: items[i].key, ...result });
        break;
      } catch (error) {
        if (controller.signal.aborted) return finish(true);
        tokensDone = base;
        if (attempt === 0 && control.recover && (await control.recover(error))) continue;
        callbacks.onError?.(items[i].key, messageOf(error));
        tokensDone = base + r.tokenIds.length; // done, with its error shown
        break;
      }
    }
    progress(i + 1);
  }
  return finish(false);
}
