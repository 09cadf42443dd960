/**
 * The scoring engine (docs/architecture.md §5). The transformers.js engine lives in ./transformers and
 * is imported from there, so that importing the contract, the precomputed sources or the pair
 * scorer does not load transformers.js / onnxruntime.
 */
export * from './types';
export { contextNeeded, contextNeededFor, validateRanges } from './ranges';
export { buildReductionGraph, type ReductionGraphOptions } from './reduction';
export { precomputedFromScoreRecord, precomputedFromTrajectory, type PrecomputedLogprobSource, type PrecomputedStepFigures } from './precomputed';
export {
  checkTokenizersMatch,
  scorePair,
  scorePairFromPrecomputed,
  scoreStepLevel,
  type NotScoredReason,
  type NotScoredStep,
  type PairProgress,
  type PairScore,
  type ScorePairInput,
  type StepLevelScore,
  type StepLevelSide,
  type StepLogLikelihood,
  type TokenizerMatch,
} from './pair';
