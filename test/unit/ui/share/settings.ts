import { DEFAULT_EVALUATION_OPTIONS } from '../../../../src/core/scores/evaluate';

/** The app's default analysis settings (src/state/analysis.ts), without importing the stores. */
export const DEFAULT_ANALYSIS_SETTINGS_FOR_TESTS = {
  evaluation: { ...DEFAULT_EVALUATION_OPTIONS },
  predictor: 'min_cumulative' as const,
  colourRangeMode: 'fitted' as const,
  colourRange: 2,
  showWhitespace: false,
  contextPolicy: 'fit' as const,
  contextTokens: 16384,
};
