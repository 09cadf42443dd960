/**
 * The paper's tuned aggregations (src/core/advantage/presets.ts) as settings: choosing a preset
 * sets the evaluation options it names and leaves the rest (k, grouping, the view settings) as
 * they are; no field records the choice, the settings panel shows the preset the options match.
 */
import { findAggregationPreset, type AggregationPreset } from '../advantage/presets';
import type { EvaluationSettings } from './analysis';

export { AGGREGATION_PRESETS, describeAggregationPreset, findAggregationPreset, matchingAggregationPreset, type AggregationPreset } from '../advantage/presets';

/** The evaluation settings with a preset applied. */
export function withAggregationPreset(evaluation: EvaluationSettings, preset: AggregationPreset): EvaluationSettings {
  return { ...evaluation, ...preset.settings };
}

/** The preset of that id, or an error listing the known ones. */
export function aggregationPresetOrError(id: string, known: readonly AggregationPreset[]): AggregationPreset {
  const preset = findAggregationPreset(id);
  if (!preset) throw new RangeError(`unknown preset '${id}' (known: ${known.map((candidate) => candidate.id).join(', ')})`);
  return preset;
}
