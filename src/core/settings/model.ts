/**
 * The model settings a session keeps (the model panel's dtype, device, render mode and merged
 * reference, and the pair it names), declared once with their defaults. Dropped folders are kept by name only: their
 * files are not stored, the page asks for them again.
 */
import { z } from 'zod';
import { DEVICE_PREFERENCES, MODEL_DTYPES, RENDER_MODES } from './vocabularies';

/** One model of a pair scored through a vLLM / SGLang server: its base URL, served name and tokenizer (a hub id; '' for the server's own /tokenize). */
const savedServerModelSchema = z.object({ url: z.string(), model: z.string(), tokenizer: z.string().default('') });

/** The chosen pair as saved: the embedded demo pair, two hub ids, two folders' names, or two served models. */
export const savedModelChoiceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('demo') }),
  z.object({ kind: z.literal('hub'), policy: z.string(), reference: z.string() }),
  z.object({ kind: z.literal('folders'), policy: z.string().nullable(), reference: z.string().nullable() }),
  z.object({ kind: z.literal('server'), engine: z.enum(['vllm', 'sglang']), policy: savedServerModelSchema, reference: savedServerModelSchema }),
]);
export type SavedModelChoice = z.infer<typeof savedModelChoiceSchema>;

export const modelSettingsSchema = z.object({
  choice: savedModelChoiceSchema.default({ kind: 'demo' }),
  dtype: z.enum(MODEL_DTYPES).default('fp32'),
  devicePreference: z.enum(DEVICE_PREFERENCES).default('auto'),
  // The default pair is the demo pair, which was trained on its chat template (see MODEL_PRESETS).
  render: z.enum(RENDER_MODES).default('chat'),
  /** The merged reference's α (π_ref + α·(π_θ − π_ref), ONNX pairs only: src/core/onnx/merge.ts); null: the reference itself. */
  referenceMerge: z.number().gte(0).lte(1).nullable().default(null),
});
export type ModelSettings = z.infer<typeof modelSettingsSchema>;

export const DEFAULT_MODEL_SETTINGS: ModelSettings = modelSettingsSchema.parse({});
