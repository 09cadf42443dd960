/**
 * The range the token heatmap draws with, for the trajectory on screen: fitted to its token
 * advantages (src/core/advantage/colour-range.ts) or the fixed ±colourRange, as the settings say.
 * The transcript, its legend and every export of it (heatmap image, snippet, report) read it here,
 * so what is exported is drawn with the range that was shown.
 */
import { useMemo } from 'react';
import { fittedColourRange, heatmapColourRange, tokenAdvantagesOf } from '../../core/advantage/colour-range';
import type { ScoreRecord } from '../../core/scores/format';
import { useAnalysisStore, type AnalysisSettings } from '../../state/analysis';

type RangeSettings = Pick<AnalysisSettings, 'colourRangeMode' | 'colourRange' | 'evaluation'>;

/** The heatmap range of these records under these settings (the store's by default). */
export function heatmapRangeOf(records: readonly Pick<ScoreRecord, 'steps'>[], settings: RangeSettings = useAnalysisStore.getState()): number {
  return heatmapColourRange(settings, records, settings.evaluation.beta);
}

/** The heatmap range of one trajectory's scores; `fitted` says whether it was fitted to them. */
export function useHeatmapRange(record: Pick<ScoreRecord, 'steps'> | undefined): { range: number; fitted: boolean } {
  const mode = useAnalysisStore((s) => s.colourRangeMode);
  const fixed = useAnalysisStore((s) => s.colourRange);
  const beta = useAnalysisStore((s) => s.evaluation.beta);
  return useMemo(() => {
    const fitted = mode === 'fitted' && record ? fittedColourRange(tokenAdvantagesOf([record], beta)) : null;
    return { range: fitted ?? fixed, fitted: fitted !== null };
  }, [mode, fixed, beta, record]);
}
