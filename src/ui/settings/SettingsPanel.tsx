import {
  ADVANTAGE_MODES,
  CONTEXT_POLICIES,
  FAILURE_PREDICTORS,
  SCORING_METHODS,
  SETTING_BOUNDS,
  COLOUR_RANGE_MODES,
  type ColourRangeMode,
  STEP_AGGREGATIONS,
  TASK_GROUPINGS,
  TOKEN_AGGREGATIONS,
  UNSCORED_POLICIES,
  type TaskGrouping,
  type UnscoredPolicy,
  type AdvantageMode,
  type ContextPolicyName,
  type FailurePredictor,
  type ScoringMethod,
  type StepAggregation,
  type TokenAggregation,
} from '../../core/settings';
import { setAnalysisSettings, setEvaluationOptions, useAnalysisStore } from '../../state/analysis';
import { NumberSetting } from './NumberSetting';
import { AggregationPresetSelect } from './AggregationPresetSelect';

/** One place for every aggregation choice: changing one updates the list, transcript, curve and dataset views at once. */
export function SettingsPanel() {
  const { evaluation, predictor, colourRangeMode, colourRange, showWhitespace, contextPolicy, contextTokens } = useAnalysisStore();
  return (
    <section className="settings-panel" aria-label="Analysis settings" data-testid="settings-panel">
      <AggregationPresetSelect />
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
      <NumberSetting setting="beta" label="β" title="KL coefficient of the RL objective: A = β·(log π_θ − log π_ref)" min={0.001} max={SETTING_BOUNDS.beta.atMost} step={0.1} value={evaluation.beta} onValid={(beta) => setEvaluationOptions({ beta })} />
      <NumberSetting setting="k" label="k" title="k-advantage window (sum of k consecutive step scores) read by the failure predictors" min={SETTING_BOUNDS.k.atLeast} max={SETTING_BOUNDS.k.atMost} step={1} value={evaluation.k} onValid={(k) => setEvaluationOptions({ k })} />
      <label title="A step the model never scored (beyond its context, refused, cancelled): skip leaves it out of every aggregate and counts it; zero scores it 0, as the reference code does (eval --unscored zero)">
        unscored steps{' '}
        <select data-testid="setting-unscored" value={evaluation.unscored} onChange={(e) => setEvaluationOptions({ unscored: e.currentTarget.value as UnscoredPolicy })}>
          {UNSCORED_POLICIES.map((u) => (
            <option key={u} value={u}>
              {u === 'skip' ? 'skip (no score)' : 'zero (reference code)'}
            </option>
          ))}
        </select>
      </label>
      <label title="Best-of-N groups, the curve's overlay and the group view: one task within one file, or one task id across every open file (eval --group-by)">
        groups{' '}
        <select data-testid="setting-grouping" value={evaluation.grouping} onChange={(e) => setEvaluationOptions({ grouping: e.currentTarget.value as TaskGrouping })}>
          {TASK_GROUPINGS.map((g) => (
            <option key={g} value={g}>
              {g === 'file-task' ? 'task within its file' : 'task across files'}
            </option>
          ))}
        </select>
      </label>
      <label title="Which rule picks the decisive failure step">
        decisive step{' '}
        <select data-testid="setting-predictor" value={predictor} onChange={(e) => setAnalysisSettings({ predictor: e.currentTarget.value as FailurePredictor })}>
          {FAILURE_PREDICTORS.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <label title="fitted: the colours saturate at the 95th percentile of |A| over the trajectory shown (rounded to a readable value); fixed: at ±range">
        colours{' '}
        <select data-testid="setting-colour-range-mode" value={colourRangeMode} onChange={(e) => setAnalysisSettings({ colourRangeMode: e.currentTarget.value as ColourRangeMode })}>
          {COLOUR_RANGE_MODES.map((m) => (
            <option key={m} value={m}>
              {m === 'fitted' ? 'fitted to the scores' : 'fixed range'}
            </option>
          ))}
        </select>
      </label>
      {/* Typing a range fixes it. */}
      <NumberSetting setting="colourRange" label="colour range ±" title="Colours saturate at ±range (when the range is fixed)" min={0.01} max={SETTING_BOUNDS.colourRange.atMost} step={0.25} value={colourRange} onValid={(range) => setAnalysisSettings({ colourRange: range, colourRangeMode: 'fixed' })} />
      <label title="A trajectory longer than the models' context, the next time it is scored. fit: score every step that fits and report the rest as unscored. reference code (parity): keep the last N tokens as the reference code does; choosing it also counts unscored steps 0, as that code counts a cut step (score --context-policy reference)">
        context{' '}
        <select
          data-testid="setting-context-policy"
          value={contextPolicy}
          onChange={(e) => {
            const policy = e.currentTarget.value as ContextPolicyName;
            setAnalysisSettings({ contextPolicy: policy });
            if (policy === 'reference') setEvaluationOptions({ unscored: 'zero' });
          }}
        >
          {CONTEXT_POLICIES.map((policy) => (
            <option key={policy} value={policy}>
              {policy === 'fit' ? 'fit: score what fits' : 'reference code (parity): last N tokens, cut steps 0'}
            </option>
          ))}
        </select>
      </label>
      {contextPolicy === 'reference' && (
        <NumberSetting setting="contextTokens" label="N" title="Tokens the reference context policy keeps (the reference code's 16,384)" min={SETTING_BOUNDS.contextTokens.atLeast} max={SETTING_BOUNDS.contextTokens.atMost} step={1024} value={contextTokens} onValid={(tokens) => setAnalysisSettings({ contextTokens: tokens })} />
      )}
      <label>
        <input data-testid="setting-whitespace" type="checkbox" checked={showWhitespace} onChange={(e) => setAnalysisSettings({ showWhitespace: e.currentTarget.checked })} /> show whitespace
      </label>
    </section>
  );
}
