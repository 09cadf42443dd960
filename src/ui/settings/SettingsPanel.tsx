import {
  ADVANTAGE_MODES,
  FAILURE_PREDICTORS,
  SCORING_METHODS,
  SETTING_BOUNDS,
  STEP_AGGREGATIONS,
  TOKEN_AGGREGATIONS,
  settingSchema,
  type AdvantageMode,
  type FailurePredictor,
  type ScoringMethod,
  type StepAggregation,
  type TokenAggregation,
} from '../../core/settings';
import { setAnalysisSettings, setEvaluationOptions, useAnalysisStore } from '../../state/analysis';

/** One place for every aggregation choice: changing one updates the list, transcript, curve and dataset views at once. */
export function SettingsPanel() {
  const { evaluation, predictor, colourRange, showWhitespace } = useAnalysisStore();
  // A typed number is taken when the setting's declaration accepts it (src/core/settings: the bounds every copy checks).
  const number = (key: 'beta' | 'k' | 'colourRange', value: string, fallback: number) => {
    const parsed = settingSchema(key).safeParse(value.trim() === '' ? NaN : Number(value));
    return parsed.success ? parsed.data : fallback;
  };
  return (
    <section className="settings-panel" aria-label="Analysis settings" data-testid="settings-panel">
      <label title="How a step's token values become one step score">
        token → step{' '}
        <select data-testid="setting-token-agg" value={evaluation.tokenAggregation} onChange={(e) => setEvaluationOptions({ tokenAggregation: e.currentTarget.value as TokenAggregation })}>
          {TOKEN_AGGREGATIONS.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </label>
      <label title="How step scores become one trajectory score">
        step → trajectory{' '}
        <select data-testid="setting-step-agg" value={evaluation.stepAggregation} onChange={(e) => setEvaluationOptions({ stepAggregation: e.currentTarget.value as StepAggregation })}>
          {STEP_AGGREGATIONS.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </label>
      <label title="difference: aggregate A over the span; per-model: agg(log π_θ) − agg(log π_ref), as the reference code">
        mode{' '}
        <select data-testid="setting-mode" value={evaluation.mode} onChange={(e) => setEvaluationOptions({ mode: e.currentTarget.value as AdvantageMode })}>
          {ADVANTAGE_MODES.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      </label>
      <label title="Score used for ranking and metrics; the baselines need no reference model">
        method{' '}
        <select data-testid="setting-method" value={evaluation.method} onChange={(e) => setEvaluationOptions({ method: e.currentTarget.value as ScoringMethod })}>
          {SCORING_METHODS.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      </label>
      <label title="KL coefficient of the RL objective: A = β·(log π_θ − log π_ref)">
        β{' '}
        <input data-testid="setting-beta" type="number" min={0.001} max={SETTING_BOUNDS.beta.atMost} step={0.1} value={evaluation.beta} onChange={(e) => setEvaluationOptions({ beta: number('beta', e.currentTarget.value, evaluation.beta) })} />
      </label>
      <label title="k-advantage window (sum of k consecutive step scores) read by the failure predictors">
        k{' '}
        <input data-testid="setting-k" type="number" min={SETTING_BOUNDS.k.atLeast} max={SETTING_BOUNDS.k.atMost} step={1} value={evaluation.k} onChange={(e) => setEvaluationOptions({ k: number('k', String(Math.round(Number(e.currentTarget.value))), evaluation.k) })} />
      </label>
      <label title="Which rule picks the decisive failure step">
        decisive step{' '}
        <select data-testid="setting-predictor" value={predictor} onChange={(e) => setAnalysisSettings({ predictor: e.currentTarget.value as FailurePredictor })}>
          {FAILURE_PREDICTORS.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <label title="Colours saturate at ±range">
        colour range ±{' '}
        <input data-testid="setting-colour-range" type="number" min={0.01} max={SETTING_BOUNDS.colourRange.atMost} step={0.25} value={colourRange} onChange={(e) => setAnalysisSettings({ colourRange: number('colourRange', e.currentTarget.value, colourRange) })} />
      </label>
      <label>
        <input data-testid="setting-whitespace" type="checkbox" checked={showWhitespace} onChange={(e) => setAnalysisSettings({ showWhitespace: e.currentTarget.checked })} /> show whitespace
      </label>
    </section>
  );
}
