/**
 * The analysis settings, declared once: every field the settings panel shows and the session
 * record, analysis bundles, snippet links, view links and the CLI's `eval` carry, with its bounds
 * and its default. Their types, their defaults and every other schema of them derive from here:
 *
 *   analysisSettingsSchema        the app's shape ({ evaluation, predictor, colourRange, showWhitespace }):
 *                                 the session record (IndexedDB) as it is, bundles strictly
 *   flatAnalysisSettingsSchema    the same fields side by side
 *   linkedSettingsSchema          those a link carries (all but READER_PREFERENCES): snippet and view links
 *   evaluationSettingsSchema      what `evaluateRecords` reads: the CLI's `eval` options
 *
 * A field missing from a saved or shared copy reads as its default, so records and files written
 * before a setting existed still load. Adding a setting is one line below plus its control in
 * the settings panel; the copies pick it up (test/unit/settings checks that each one does).
 *
 * Schemas are built when this module is first imported: the page imports src/ui/zod-without-eval
 * before anything else, so none of them probes for eval (the page's CSP forbids it).
 */
import { z } from 'zod';
import {
  ADVANTAGE_MODES,
  CONTEXT_POLICIES,
  REFERENCE_CONTEXT_TOKENS,
  FAILURE_PREDICTORS,
  SCORING_METHODS,
  STEP_AGGREGATIONS,
  TASK_GROUPINGS,
  TOKEN_AGGREGATIONS,
  UNSCORED_POLICIES,
} from './vocabularies';

/** How the heatmap's colour range is chosen (see `colourRangeMode`). */
export const COLOUR_RANGE_MODES = ['fitted', 'fixed'] as const;
export type ColourRangeMode = (typeof COLOUR_RANGE_MODES)[number];

/** The numeric settings' bounds (the same in the app, the files and the CLI). */
export const SETTING_BOUNDS = {
  /** KL coefficient β: 0 < β ≤ 10⁶. */
  beta: { above: 0, atMost: 1e6 },
  /** Window of the k-advantage: a whole number, 1 ≤ k ≤ 10⁶. */
  k: { atLeast: 1, atMost: 1e6 },
  /** The heatmap saturates at ±colourRange: 0 < range ≤ 10⁶. */
  colourRange: { above: 0, atMost: 1e6 },
  /** Tokens the reference context policy keeps: a whole number, 2 ≤ N ≤ 10⁷ (one token predicts the next). */
  contextTokens: { atLeast: 2, atMost: 1e7 },
} as const;

/** The options of an evaluation (src/core/scores/evaluate.ts): how token figures become step, trajectory and attribution scores. */
export const evaluationSettingsSchema = z.object({
  /** The score used for ranking and metrics. */
  method: z.enum(SCORING_METHODS).default('progress'),
  /** Token → step aggregation. */
  tokenAggregation: z.enum(TOKEN_AGGREGATIONS).default('mean'),
  /** Step → trajectory aggregation. */
  stepAggregation: z.enum(STEP_AGGREGATIONS).default('mean'),
  /** `difference` aggregates A_t; `per-model` aggregates each model's log-probs (progress only). */
  mode: z.enum(ADVANTAGE_MODES).default('difference'),
  /** KL coefficient: A_t = β·(log π_θ − log π_ref). */
  beta: z.number().gt(SETTING_BOUNDS.beta.above).lte(SETTING_BOUNDS.beta.atMost).default(1),
  /** Window of the k-advantage the failure predictors read (1: the step scores themselves). */
  k: z.int().gte(SETTING_BOUNDS.k.atLeast).lte(SETTING_BOUNDS.k.atMost).default(1),
  /** A step the scorer produced no figures for: `skip` leaves it out of every aggregate (and counts it), `zero` scores it 0 (the reference code). */
  unscored: z.enum(UNSCORED_POLICIES).default('skip'),
  /** Best-of-N groups: `file-task` one task within one file, `task` one task id across the files. */
  grouping: z.enum(TASK_GROUPINGS).default('file-task'),
});

/** The settings that are not evaluation options: what the views mark and how they draw. */
const viewSettingsShape = {
  /** The predictor whose decisive step the list, transcript and curve mark. */
  predictor: z.enum(FAILURE_PREDICTORS).default('min_cumulative'),
  /**
   * How the token heatmap's range is chosen: `fitted` to the scores on screen (the 95th percentile
   * of |A| over the trajectory shown, rounded to a readable value: src/core/advantage/colour-range.ts),
   * or `fixed` at ±colourRange. Copies written before it existed read as `fitted`.
   */
  colourRangeMode: z.enum(COLOUR_RANGE_MODES).default('fitted'),
  /** Symmetric colour range ±colourRange of the token heatmap when it is fixed (and where there is nothing to fit). */
  colourRange: z.number().gt(SETTING_BOUNDS.colourRange.above).lte(SETTING_BOUNDS.colourRange.atMost).default(2),
  /** Show spaces, tabs and newlines in token texts. */
  showWhitespace: z.boolean().default(false),
};

/** The settings that decide what the models score (src/core/scoring/context-policy.ts); scores already computed keep theirs. */
const scoringSettingsShape = {
  /**
   * A trajectory longer than the models' context: `fit` scores the steps that fit and reports the
   * rest as unscored; `reference` keeps the last `contextTokens` tokens as the reference code does
   * (parity), a cut step unscored and counted 0 as the reference code counts it.
   */
  contextPolicy: z.enum(CONTEXT_POLICIES).default('fit'),
  /** N of the reference context policy: the tokens kept (the reference code's 16,384). */
  contextTokens: z.int().gte(SETTING_BOUNDS.contextTokens.atLeast).lte(SETTING_BOUNDS.contextTokens.atMost).default(REFERENCE_CONTEXT_TOKENS),
};

/** The analysis settings as the app keeps them (and the session record saves them); unknown keys are dropped. */
export const analysisSettingsSchema = z.object({
  evaluation: evaluationSettingsSchema.prefault({}),
  ...viewSettingsShape,
  ...scoringSettingsShape,
});

/** The same, refusing unknown keys at both levels: for untrusted files (analysis bundles). */
export const strictAnalysisSettingsSchema = z.strictObject({
  evaluation: z.strictObject(evaluationSettingsSchema.shape).prefault({}),
  ...viewSettingsShape,
  ...scoringSettingsShape,
});

/** Every setting side by side (links carry them flat). */
export const flatAnalysisSettingsSchema = z.object({ ...evaluationSettingsSchema.shape, ...viewSettingsShape, ...scoringSettingsShape });

export type EvaluationSettings = z.infer<typeof evaluationSettingsSchema>;
export type AnalysisSettings = z.infer<typeof analysisSettingsSchema>;
export type FlatAnalysisSettings = z.infer<typeof flatAnalysisSettingsSchema>;
export type SettingKey = keyof FlatAnalysisSettings;
export type EvaluationSettingKey = keyof EvaluationSettings;

/**
 * Settings that are the reader's own display preference: the session and bundles keep them, links
 * (view links, snippet links) do not carry them, so opening a link never changes them.
 */
export const READER_PREFERENCES = ['showWhitespace'] as const satisfies readonly SettingKey[];
export type ReaderPreference = (typeof READER_PREFERENCES)[number];
export type LinkedSettingKey = Exclude<SettingKey, ReaderPreference>;

/** The settings a link carries: all but the reader's preferences. */
export const linkedSettingsSchema = flatAnalysisSettingsSchema.omit(Object.fromEntries(READER_PREFERENCES.map((k) => [k, true])) as { [K in ReaderPreference]: true });
export type LinkedSettings = z.infer<typeof linkedSettingsSchema>;

/** Every setting's name, in the schema's order. */
export const SETTING_KEYS = Object.keys(flatAnalysisSettingsSchema.shape) as SettingKey[];
export const EVALUATION_SETTING_KEYS = Object.keys(evaluationSettingsSchema.shape) as EvaluationSettingKey[];
export const LINKED_SETTING_KEYS = Object.keys(linkedSettingsSchema.shape) as LinkedSettingKey[];

export function isEvaluationSettingKey(key: string): key is EvaluationSettingKey {
  return key in evaluationSettingsSchema.shape;
}

/** The schema of one setting (its bounds and default included). */
export function settingSchema<K extends SettingKey>(key: K): (typeof flatAnalysisSettingsSchema.shape)[K] {
  return flatAnalysisSettingsSchema.shape[key];
}

export const DEFAULT_ANALYSIS_SETTINGS: AnalysisSettings = analysisSettingsSchema.parse({});
export const DEFAULT_EVALUATION_SETTINGS: EvaluationSettings = DEFAULT_ANALYSIS_SETTINGS.evaluation;

/** The settings side by side. */
export function flattenSettings(settings: AnalysisSettings): FlatAnalysisSettings {
  const { evaluation, ...view } = settings;
  return { ...evaluation, ...view };
}

/** A patch of flat settings as a patch of the app's shape: `evaluation` holds the evaluation options among them. */
export function nestSettingsPatch(flat: Partial<FlatAnalysisSettings>): { evaluation?: Partial<EvaluationSettings> } & Partial<Omit<AnalysisSettings, 'evaluation'>> {
  const evaluation: Record<string, unknown> = {};
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    if (value === undefined) continue;
    (isEvaluationSettingKey(key) ? evaluation : view)[key] = value;
  }
  return Object.keys(evaluation).length > 0 ? { ...view, evaluation } : view;
}

/** Flat settings in the app's shape. */
export function nestSettings(flat: FlatAnalysisSettings): AnalysisSettings {
  return analysisSettingsSchema.parse(nestSettingsPatch(flat));
}

/** The settings a link carries (all but the reader's preferences). */
export function linkedSettingsOf(settings: AnalysisSettings): LinkedSettings {
  const all = flattenSettings(settings);
  return Object.fromEntries(LINKED_SETTING_KEYS.map((key) => [key, all[key]])) as LinkedSettings;
}
