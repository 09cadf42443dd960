/** The page's handle on the scoring worker (created on first use; Comlink RPC). */
import * as Comlink from 'comlink';
import type { ScoringApi } from './scoring.worker';

export type { ModelSource, LoadPairRequest, PairStatus, LoadProgress, LoadedModelInfo, ScoredTrajectory, JobProgress, TrajectoryToScore } from './scoring.worker';

let remote: Comlink.Remote<ScoringApi> | null = null;

export function scoringWorker(): Comlink.Remote<ScoringApi> {
  remote ??= Comlink.wrap<ScoringApi>(new Worker(new URL('./scoring.worker.ts', import.meta.url), { type: 'module', name: 'scoring' }));
  return remote;
}

export { Comlink };
