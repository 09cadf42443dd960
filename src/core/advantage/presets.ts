/**
 * The paper's tuned aggregations as presets: for each task and model family its reference code's
 * launch scripts (deeplearning-wisc/progress-advantage, commit b1253bd, MIT; runners at 9284b4c)
 * ran, the token → step and step → trajectory aggregation they pass, named with the file and the
 * line that says so. Every runner computes the step score as agg(log π_θ) − agg(log π_ref) (the
 * per-model mode), with β = 1 (`--beta` default 1.0, never set by a script), and an action step
 * with no tokens counted 0 (`unscored: zero`): a preset sets those too, so `eval --preset`
 * reproduces what the script computes. The model families are the reference code's pairs
 * (pa/models.py): gemma4-4b = google/gemma-4-E4B-it over google/gemma-4-E4B, qwen3.5-9b =
 * Qwen/Qwen3.5-9B over Qwen/Qwen3.5-9B-Base.
 */
import type { StepAggregation, TokenAggregation } from './aggregate';
import type { AdvantageMode, ScoringMethod, UnscoredPolicy } from './progress';

/** The evaluation options a preset sets; the others (k, grouping) are left as they are. */
export interface PresetSettings {
  method: ScoringMethod;
  tokenAggregation: TokenAggregation;
  stepAggregation: StepAggregation;
  mode: AdvantageMode;
  beta: number;
  unscored: UnscoredPolicy;
}

export interface AggregationPreset {
  /** What `eval --preset` and the settings take. */
  id: string;
  /** The benchmark and application, as the script's header says. */
  task: string;
  /** The reference code's pair name (pa/models.py), or `any` where the script uses one aggregation for every pair. */
  modelFamily: string;
  /** The script and the exact text in it that sets the aggregation. */
  source: { file: string; excerpt: string };
  settings: PresetSettings;
  /** What else to know (e.g. which part of the preset the application reads). */
  note: string | null;
}

/** What every runner computes besides the two aggregations (see the header). */
const REFERENCE_CODE = { method: 'progress', mode: 'per-model', beta: 1, unscored: 'zero' } as const;

function preset(id: string, task: string, modelFamily: string, file: string, excerpt: string, tokenAggregation: TokenAggregation, stepAggregation: StepAggregation, note: string | null = null): AggregationPreset {
  return { id, task, modelFamily, source: { file, excerpt }, settings: { ...REFERENCE_CODE, tokenAggregation, stepAggregation }, note };
}

export const AGGREGATION_PRESETS: readonly AggregationPreset[] = [
  preset('webshop-bon8-gemma4-4b', 'WebShop best-of-8', 'gemma4-4b', 'scripts/webshop_bon8.sh', 'gemma4-4b)  DEF_TOK=max;  DEF_STEP=min  ;;', 'max', 'min'),
  preset('webshop-bon8-qwen3.5-9b', 'WebShop best-of-8', 'qwen3.5-9b', 'scripts/webshop_bon8.sh', 'qwen3.5-9b) DEF_TOK=min;  DEF_STEP=last ;;', 'min', 'last'),
  preset('tau2-airline-bon8', 'τ²-bench Airline best-of-8', 'any', 'scripts/tau2_bon8.sh', '--token-agg mean \\\n  --step-agg min \\', 'mean', 'min', 'one aggregation for every pair (the script defaults to qwen3.5-9b)'),
  preset('tau2-uq-airline-gemma4-4b', 'τ²-bench Airline uncertainty (on-policy, greedy)', 'gemma4-4b', 'scripts/tau2_uq_onpolicy.sh', 'gemma4-4b)   AIR_TOK=max AIR_STEP=min  RET_TOK=min RET_STEP=last ;;', 'max', 'min'),
  preset('tau2-uq-retail-gemma4-4b', 'τ²-bench Retail uncertainty (on-policy, greedy)', 'gemma4-4b', 'scripts/tau2_uq_onpolicy.sh', 'gemma4-4b)   AIR_TOK=max AIR_STEP=min  RET_TOK=min RET_STEP=last ;;', 'min', 'last'),
  preset('tau2-uq-airline-qwen3.5-9b', 'τ²-bench Airline uncertainty (on-policy, greedy)', 'qwen3.5-9b', 'scripts/tau2_uq_onpolicy.sh', 'qwen3.5-9b)  AIR_TOK=max AIR_STEP=mean RET_TOK=max RET_STEP=last ;;', 'max', 'mean'),
  preset('tau2-uq-retail-qwen3.5-9b', 'τ²-bench Retail uncertainty (on-policy, greedy)', 'qwen3.5-9b', 'scripts/tau2_uq_onpolicy.sh', 'qwen3.5-9b)  AIR_TOK=max AIR_STEP=mean RET_TOK=max RET_STEP=last ;;', 'max', 'last'),
  preset(
    'who-and-when-fa',
    'Who&When failure attribution (Hand-Crafted and Algorithm-Generated)',
    'any',
    'scripts/fa.sh',
    '--token-aggs sum \\',
    'sum',
    'mean',
    'failure attribution reads step scores only: the script sets no step aggregation (runners/fa.py has none); mean is kept for the other metrics',
  ),
  preset(
    'merged-reference-bon',
    'best-of-N with a merged reference (the α sweep, Figure 5)',
    'any',
    'runners/merged_bon.py',
    'Uses the a-priori\n(token=mean, step=mean) aggregation',
    'mean',
    'mean',
    'the aggregation of the reference-policy study (eval --sweep-merge)',
  ),
];

export function findAggregationPreset(id: string): AggregationPreset | undefined {
  return AGGREGATION_PRESETS.find((candidate) => candidate.id === id);
}

/** The preset whose settings the options equal (k and grouping aside), or null: the settings show it as chosen. */
export function matchingAggregationPreset(options: PresetSettings): AggregationPreset | null {
  const keys = Object.keys(REFERENCE_CODE).concat(['tokenAggregation', 'stepAggregation']) as (keyof PresetSettings)[];
  return AGGREGATION_PRESETS.find((candidate) => keys.every((key) => candidate.settings[key] === options[key])) ?? null;
}

/** One line per preset, for `eval --list-presets`. */
export function describeAggregationPreset(preset: AggregationPreset): string {
  const { settings } = preset;
  return `${preset.id}: ${preset.task}, ${preset.modelFamily === 'any' ? 'every model pair' : preset.modelFamily}; token → step ${settings.tokenAggregation}, step → trajectory ${settings.stepAggregation}, ${settings.mode} mode, β = ${settings.beta}, unscored steps ${settings.unscored} (${preset.source.file})${preset.note ? `; ${preset.note}` : ''}`;
}
