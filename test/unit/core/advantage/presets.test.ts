/**
 * The paper's tuned aggregations (src/core/advantage/presets.ts): each preset's values read back
 * from the script text it cites (the reference code's own syntax: `family) DEF_TOK=… DEF_STEP=…`,
 * `AIR_TOK / RET_TOK`, `--token-agg X --step-agg Y`, `--token-aggs X`, `(token=…, step=…)`), and a
 * table written out here from the scripts (deeplearning-wisc/progress-advantage at b1253bd) so a
 * change to either side fails. Applying a preset sets exactly its options; a preset is recognised
 * from the options it set.
 */
import { describe, expect, it } from 'vitest';
import { AGGREGATION_PRESETS, describeAggregationPreset, matchingAggregationPreset } from '../../../../src/core/advantage/presets';
import { DEFAULT_EVALUATION_SETTINGS, STEP_AGGREGATIONS, TOKEN_AGGREGATIONS, withAggregationPreset } from '../../../../src/core/settings';

/** id → [script, token → step, step → trajectory], as the scripts set them. */
const FROM_THE_SCRIPTS: Record<string, [string, string, string]> = {
  'webshop-bon8-gemma4-4b': ['scripts/webshop_bon8.sh', 'max', 'min'],
  'webshop-bon8-qwen3.5-9b': ['scripts/webshop_bon8.sh', 'min', 'last'],
  'tau2-airline-bon8': ['scripts/tau2_bon8.sh', 'mean', 'min'],
  'tau2-uq-airline-gemma4-4b': ['scripts/tau2_uq_onpolicy.sh', 'max', 'min'],
  'tau2-uq-retail-gemma4-4b': ['scripts/tau2_uq_onpolicy.sh', 'min', 'last'],
  'tau2-uq-airline-qwen3.5-9b': ['scripts/tau2_uq_onpolicy.sh', 'max', 'mean'],
  'tau2-uq-retail-qwen3.5-9b': ['scripts/tau2_uq_onpolicy.sh', 'max', 'last'],
  'who-and-when-fa': ['scripts/fa.sh', 'sum', 'mean'],
  'merged-reference-bon': ['runners/merged_bon.py', 'mean', 'mean'],
};

/** The aggregations a cited excerpt sets for a preset, read the way the script's shell or docstring reads. */
function aggregationsInExcerpt(id: string, excerpt: string, family: string): { token: string; step: string | null } {
  const value = (name: string) => new RegExp(`\\b${name}=(\\w+)`).exec(excerpt)?.[1] ?? null;
  if (excerpt.includes('DEF_TOK')) {
    expect(excerpt.startsWith(`${family})`)).toBe(true);
    return { token: value('DEF_TOK')!, step: value('DEF_STEP') };
  }
  if (excerpt.includes('AIR_TOK')) {
    expect(excerpt.startsWith(`${family})`)).toBe(true);
    const domain = id.includes('-airline-') ? 'AIR' : 'RET';
    return { token: value(`${domain}_TOK`)!, step: value(`${domain}_STEP`) };
  }
  const flag = (name: string) => new RegExp(`--${name} (\\w+)`).exec(excerpt)?.[1] ?? null;
  if (excerpt.includes('--token-aggs')) return { token: flag('token-aggs')!, step: null };
  if (excerpt.includes('--token-agg')) return { token: flag('token-agg')!, step: flag('step-agg') };
  return { token: value('token')!, step: value('step') };
}

describe('AGGREGATION_PRESETS', () => {
  it('lists the scripts’ tuned aggregations, each under a unique id', () => {
    expect(AGGREGATION_PRESETS.map((preset) => preset.id)).toEqual(Object.keys(FROM_THE_SCRIPTS));
  });

  it.each(AGGREGATION_PRESETS.map((preset) => [preset.id, preset] as const))('%s: values as the cited script text says', (id, preset) => {
    const [file, token, step] = FROM_THE_SCRIPTS[id];
    expect(preset.source.file).toBe(file);
    const cited = aggregationsInExcerpt(id, preset.source.excerpt, preset.modelFamily);
    expect(cited.token).toBe(token);
    expect(preset.settings.tokenAggregation).toBe(cited.token);
    // fa.sh names no step aggregation (failure attribution reads step scores): the preset keeps the default.
    expect(preset.settings.stepAggregation).toBe(cited.step ?? DEFAULT_EVALUATION_SETTINGS.stepAggregation);
    expect(step).toBe(preset.settings.stepAggregation);
    expect(TOKEN_AGGREGATIONS).toContain(preset.settings.tokenAggregation);
    expect(STEP_AGGREGATIONS).toContain(preset.settings.stepAggregation);
    // What every runner computes: agg(log π_θ) − agg(log π_ref), β = 1, an empty action step 0.
    expect(preset.settings).toMatchObject({ method: 'progress', mode: 'per-model', beta: 1, unscored: 'zero' });
  });

  it('applying a preset sets its options and keeps k and grouping; the options then name it', () => {
    const before = { ...DEFAULT_EVALUATION_SETTINGS, k: 3, grouping: 'task' as const };
    const preset = AGGREGATION_PRESETS.find((candidate) => candidate.id === 'tau2-uq-retail-qwen3.5-9b')!;
    const after = withAggregationPreset(before, preset);
    expect(after).toEqual({ method: 'progress', tokenAggregation: 'max', stepAggregation: 'last', mode: 'per-model', beta: 1, unscored: 'zero', k: 3, grouping: 'task' });
    expect(matchingAggregationPreset(after)?.id).toBe('tau2-uq-retail-qwen3.5-9b');
    expect(matchingAggregationPreset({ ...after, mode: 'difference' })).toBeNull();
    expect(matchingAggregationPreset(DEFAULT_EVALUATION_SETTINGS)).toBeNull();
  });

  it('describes a preset in one line with its source', () => {
    expect(describeAggregationPreset(AGGREGATION_PRESETS[1])).toBe(
      'webshop-bon8-qwen3.5-9b: WebShop best-of-8, qwen3.5-9b; token → step min, step → trajectory last, per-model mode, β = 1, unscored steps zero (scripts/webshop_bon8.sh)',
    );
  });
});
