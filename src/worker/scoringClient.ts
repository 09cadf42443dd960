/** The page's handle on the scoring worker (created on first use; Comlink RPC). */
import * as Comlink from 'comlink';
import { unpackRecordOf } from '../core/scores/packed';
import type { PackedScoredTrajectory, ScoredTrajectory, ScoringApi } from './scoring.worker';

export type {
  ModelSource,
  LoadPairRequest,
  PairStatus,
  LoadProgress,
  LoadedModelInfo,
  ScoredTrajectory,
  PackedScoredTrajectory,
  JobProgress,
  TrajectoryToScore,
} from './scoring.worker';

/** A result as the worker sends it (packed, buffers transferred) back to the plain record. */
export function unpackScoredTrajectory(result: PackedScoredTrajectory): ScoredTrajectory {
  return unpackRecordOf<ScoredTrajectory>(result);
}

let remote: Comlink.Remote<ScoringApi> | null = null;

export function scoringWorker(): Comlink.Remote<ScoringApi> {
  remote ??= Comlink.wrap<ScoringApi>(new Worker(new URL('./scoring.worker.ts', import.meta.url), { type: 'module', name: 'scoring' }));
  return remote;
}

export { Comlink };
