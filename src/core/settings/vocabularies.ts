/**
 * The closed lists of values the app, the CLI and the file formats share, each declared once.
 * The analysis vocabularies are declared beside the code that gives them meaning (core/advantage,
 * core/metrics) and re-exported here; the model vocabularies are declared here. Every schema,
 * select box, usage text and type union takes its list from this module.
 */
export { TOKEN_AGGREGATIONS, STEP_AGGREGATIONS, type TokenAggregation, type StepAggregation } from '../advantage/aggregate';
export { ADVANTAGE_MODES, SCORING_METHODS, UNSCORED_POLICIES, type AdvantageMode, type ScoringMethod, type UnscoredPolicy } from '../advantage/progress';
export { FAILURE_PREDICTORS, type FailurePredictor } from '../metrics/failure';
export { TASK_GROUPINGS, type TaskGrouping } from '../metrics/best-of-n';

/** transformers.js dtypes, each an ONNX file: fp32 model.onnx, fp16 model_fp16.onnx, q8 model_quantized.onnx, q4 model_q4.onnx, q4f16 model_q4f16.onnx. */
export const MODEL_DTYPES = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'] as const;
export type ModelDtype = (typeof MODEL_DTYPES)[number];

/** Dtypes whose weights are float16: on WebGPU they need the adapter's `shader-f16`. */
export const F16_MODEL_DTYPES = ['fp16', 'q4f16'] as const satisfies readonly ModelDtype[];

/** Dtypes the CLI (onnxruntime-node, CPU) offers: q4f16 is for WebGPU in the app (docs/score.md). */
export const CPU_MODEL_DTYPES = ['fp32', 'fp16', 'q8', 'q4'] as const satisfies readonly ModelDtype[];

/** How a trajectory becomes one token sequence: the tokenizer's chat template, or plain role-tagged text. */
export const RENDER_MODES = ['plain', 'chat'] as const;
export type RenderMode = (typeof RENDER_MODES)[number];

/**
 * What is scored when a trajectory is longer than a model's context: `fit` (the product's) scores
 * every step that fits and reports the rest as unscored; `reference` is the reference code's, for
 * parity: keep the last N tokens (left truncation) and score those, a cut step counting 0.
 */
export const CONTEXT_POLICIES = ['fit', 'reference'] as const;
export type ContextPolicyName = (typeof CONTEXT_POLICIES)[number];
/** The reference code's N: it keeps the last 16,384 tokens. */
export const REFERENCE_CONTEXT_TOKENS = 16384;

/** Where the browser runs the models. */
export const DEVICES = ['webgpu', 'wasm'] as const;
export type Device = (typeof DEVICES)[number];
/** What the user asks for: a device, or `auto` (WebGPU on a hardware adapter, else WASM). */
export const DEVICE_PREFERENCES = ['auto', ...DEVICES] as const;
export type DevicePreference = (typeof DEVICE_PREFERENCES)[number];

export function isOneOf<const T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}
