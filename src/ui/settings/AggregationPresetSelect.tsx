import { AGGREGATION_PRESETS, describeAggregationPreset, matchingAggregationPreset } from '../../core/settings';
import { setEvaluationOptions, useAnalysisStore } from '../../state/analysis';

/**
 * The paper's tuned aggregations (src/core/advantage/presets.ts): choosing one sets the options it
 * names (aggregations, per-model mode, β, unscored steps); the select shows the preset the current
 * options match, or "custom".
 */
export function AggregationPresetSelect() {
  const evaluation = useAnalysisStore((state) => state.evaluation);
  const matching = matchingAggregationPreset(evaluation);
  return (
    <label title={matching ? describeAggregationPreset(matching) : "The aggregation each of the paper's tasks and model families was run with in its reference code's scripts"}>
      paper preset{' '}
      <select
        data-testid="setting-preset"
        value={matching?.id ?? ''}
        onChange={(e) => {
          const preset = AGGREGATION_PRESETS.find((candidate) => candidate.id === e.currentTarget.value);
          if (preset) setEvaluationOptions(preset.settings);
        }}
      >
        <option value="" disabled>
          custom
        </option>
        {AGGREGATION_PRESETS.map((preset) => (
          <option key={preset.id} value={preset.id} title={describeAggregationPreset(preset)}>
            {preset.id}
          </option>
        ))}
      </select>
    </label>
  );
}
