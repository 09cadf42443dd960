/**
 * Model pairs a user can pick without knowing repository names: a policy (an instruct / RL-tuned
 * model) and the reference it was tuned from (its base), same family, in the ONNX layout
 * transformers.js loads (`onnx/model*.onnx` beside config.json and the tokenizer files).
 *
 * Every hub id below was checked in the search index (2026); where each was found is written next
 * to it. `dtypes` lists only the ONNX files seen in BOTH repositories of a pair, so that a preset
 * never promises a quantization one side lacks; a size not seen in a listing is left out ("size
 * unknown"), never guessed. Order: the paper's families (Qwen, Gemma) first, then the smallest
 * SmolLM pair. Notes say whether the policy's post-training included RL: the progress-advantage
 * identity holds for RL-tuned policies. Pure data: safe to import from the UI.
 */

import { MODEL_DTYPES } from '../settings/vocabularies';

/** transformers.js dtypes (→ ONNX file): the shared list (src/core/settings). */
export const PRESET_DTYPES = MODEL_DTYPES;
export type PresetDtype = (typeof PRESET_DTYPES)[number];

export function isPresetDtype(value: string): value is PresetDtype {
  return (PRESET_DTYPES as readonly string[]).includes(value);
}

export interface ModelPreset {
  /** Short, stable name (`--preset ID` in the CLI). */
  id: string;
  label: string;
  /**
   * `hub`: `policy` / `reference` are Hugging Face repository ids. `bundled`: they are folders of
   * this repository (relative to its root), served by the app under `appPaths`.
   */
  source: 'hub' | 'bundled';
  policy: string;
  reference: string;
  /** For bundled pairs: the URL paths the app serves the two folders under. */
  appPaths?: { policy: string; reference: string };
  /** ONNX files known to exist for both models, smallest-risk first (fp32 is exact). */
  dtypes: readonly PresetDtype[];
  /** Approximate download per model and dtype, in MB (the larger of the two where they differ). */
  approxSizeMb: Partial<Record<PresetDtype, number>>;
  /** Parameters per model, for the label of the size. */
  parameters: string;
  /** Tokenizers, context, training; what a user should know before picking it. */
  notes: string;
  /** The rendering the pair was trained on, when it is not the default `plain` (the demo pair: `chat`). */
  render?: 'chat' | 'plain';
  /** The β the policy was trained with (its KL coefficient to the reference), when known: its advantages are read with it. */
  beta?: number;
}

/** The KL coefficient of the demo policy's RL training (lab/demo/train.ts), and so the β of its progress advantage. */
export const DEMO_BETA = 0.5;

export const MODEL_PRESETS: readonly ModelPreset[] = [
  {
    id: 'demo',
    label: 'Demo pair (trained GPT-2, shipped with the app)',
    source: 'bundled',
    policy: 'public/models/demo-policy',
    reference: 'public/models/demo-reference',
    appPaths: { policy: '/models/demo-policy', reference: '/models/demo-reference' },
    // lab/demo/train.ts writes every form of the model builder (lab/model-builder): fp32, fp16, q8 and q4.
    dtypes: ['fp32', 'fp16', 'q8', 'q4'],
    approxSizeMb: { fp32: 0.5 },
    // Trained on its chat template (`role: content` lines): plain rendering's `[role]:` is out of its vocabulary.
    render: 'chat',
    beta: DEMO_BETA,
    parameters: '≈ 0.11 M',
    notes:
      'A 2-layer GPT-2 (64-token vocabulary) policy trained with RL from its reference by lab/demo/train.ts (β = 0.5); one word-level tokenizer shared by both; context 128 tokens, so long real trajectories get their later steps reported as not scored.',
  },
  {
    id: 'qwen3-0.6b',
    label: 'Qwen3 0.6B: post-trained vs base',
    source: 'hub',
    // Searched 2026 (docs and pages corpora): onnx-community/Qwen3-0.6B-ONNX (transformers.js pages use it with
    // dtype q4f16 on WebGPU; its files were not listed in the search, so no size is claimed here).
    policy: 'onnx-community/Qwen3-0.6B-ONNX',
    // The only ONNX export of Qwen3-0.6B-Base found: a community one (optimum, text-generation-with-past), whose card
    // lists model.onnx 3.01 GB, model_fp16.onnx 1.62 GB and model_quantized.onnx 0.75 GB (dynamic int8).
    reference: 'liodon-ai/Qwen3-0.6B-Base-ONNX',
    dtypes: ['fp32', 'fp16', 'q8'],
    approxSizeMb: {},
    parameters: '0.6 B',
    notes:
      "The paper's family. Post-training of the 0.6B is strong-to-weak distillation from larger Qwen3 models (Qwen3 technical report), not RL of its own: the larger teachers were RL-tuned, so the identity holds only approximately. The base is a community export (its card: fp32 3.01 GB, fp16 1.62 GB, q8 0.75 GB); the post-trained model's sizes are not known here. No ONNX export of a Qwen3.5 base was found (onnx-community/Qwen3.5-0.8B-Text-ONNX has the post-trained side only), so Qwen3.5 has no preset. q8 is dynamic int8: its figures are approximate (docs/score.md).",
  },
  {
    id: 'gemma-3-270m',
    label: 'Gemma 3 270M: it vs pt',
    source: 'hub',
    // onnx-community/gemma-3-270m-it-ONNX: used with dtype fp16 on WebGPU in onnxruntime issue #26732 (pages corpus).
    policy: 'onnx-community/gemma-3-270m-it-ONNX',
    // onnx-community/gemma-3-270m-ONNX (the pre-trained model): onnx/model_q4.onnx and onnx/model_int8.onnx fetched by
    // public code (code corpus). q4 is the one dtype seen for both; sizes were not listed.
    reference: 'onnx-community/gemma-3-270m-ONNX',
    dtypes: ['q4'],
    approxSizeMb: {},
    parameters: '270 M',
    notes:
      "The paper's family. RL-tuned: Gemma 3 instruction tuning is distillation followed by RL from human, machine and execution feedback (Gemma 3 technical report). A 262,144-token vocabulary (170 M of the 270 M parameters are the embedding), sliding-window layers; the chat template only alternates user and model turns (agent logs are mapped, docs/score.md). Only q4 was seen in both repositories; sizes unknown.",
  },
  {
    id: 'qwen2.5-0.5b',
    label: 'Qwen2.5 0.5B: Instruct vs base',
    source: 'hub',
    // huggingface.co/onnx-community/Qwen2.5-0.5B-Instruct/tree/main/onnx: model.onnx 1.99 GB, model_fp16 997 MB,
    // model_quantized 512 MB, model_q4 786 MB, model_q4f16 483 MB (also int8 / uint8 / bnb4).
    policy: 'onnx-community/Qwen2.5-0.5B-Instruct',
    // Used as `AutoModelForCausalLM.from_pretrained('onnx-community/Qwen2.5-0.5B', { dtype: 'q4' })` in public
    // transformers.js code, and by a downloader that fetches its onnx/model.onnx, model_fp16, model_q4 and
    // model_q4f16 files (search index, code corpus); model_quantized was not seen for the base.
    reference: 'onnx-community/Qwen2.5-0.5B',
    dtypes: ['fp32', 'fp16', 'q4', 'q4f16'],
    approxSizeMb: { fp32: 1990, fp16: 997, q4: 786, q4f16: 483 },
    parameters: '494 M',
    notes:
      'RL-tuned: Qwen2.5 post-training is SFT, then offline DPO and online GRPO (Qwen2.5 technical report), so the identity holds for this policy and its base. Same vocabulary; the Instruct tokenizer ends turns with <|im_end|> where the base uses <|endoftext|>, which the CLI accepts as the same vocabulary (token level). q4f16 needs a device with fp16 (WebGPU); on CPU use fp32, fp16 or q4.',
  },
  {
    id: 'smollm-135m',
    label: 'SmolLM 135M: Instruct vs base',
    source: 'hub',
    // huggingface.co/HuggingFaceTB/SmolLM-135M-Instruct/tree/4f02267…/onnx (commit on main, "Upload ONNX
    // weights (#7)"): model.onnx 539 MB, model_fp16 270 MB, model_quantized 136 MB, model_q4 181 MB, model_q4f16 117 MB.
    policy: 'HuggingFaceTB/SmolLM-135M-Instruct',
    // huggingface.co/HuggingFaceTB/SmolLM-135M/tree/main/onnx: model.onnx 539 MB, model_fp16 270 MB,
    // model_quantized 136 MB, model_q4 181 MB (no q4f16).
    reference: 'HuggingFaceTB/SmolLM-135M',
    dtypes: ['fp32', 'fp16', 'q8', 'q4'],
    approxSizeMb: { fp32: 539, fp16: 270, q8: 136, q4: 181 },
    parameters: '135 M',
    // Special tokens: huggingface.co/HuggingFaceTB/SmolLM-135M-Instruct/blob/main/special_tokens_map.json
    // (bos <|im_start|>, eos and pad <|im_end|>, unk <|endoftext|>); the base uses <|endoftext|>.
    notes:
      'The smallest real pair: quick on CPU. Not RL-tuned: Instruct is supervised fine-tuning (and, per its card, no RL stage), so β·(log π_θ − log π_ref) is a log-ratio here, not the advantage the identity gives for RL-tuned policies; use it to try the product, the Qwen and Gemma pairs for the signal. One 49,152-token vocabulary; the Instruct tokenizer names <|im_start|> / <|im_end|> as BOS / EOS where the base names <|endoftext|>, which the CLI accepts as the same vocabulary (token level). Plain rendering starts with the policy tokenizer\'s BOS, here <|im_start|>.',
  },
];

export function findPreset(id: string): ModelPreset | undefined {
  return MODEL_PRESETS.find((preset) => preset.id === id);
}

function formatSize(megabytes: number): string {
  return megabytes >= 1000 ? `${(megabytes / 1000).toFixed(2)} GB` : `${megabytes} MB`;
}

/** `fp32 ≈ 539 MB, q4 size unknown`: the download per model and dtype, never a guess. */
export function presetSizes(preset: ModelPreset): string {
  return preset.dtypes.map((dtype) => (preset.approxSizeMb[dtype] !== undefined ? `${dtype} ≈ ${formatSize(preset.approxSizeMb[dtype]!)}` : `${dtype} size unknown`)).join(', ');
}

/** Two lines for a list: the id and what the pair is, then the dtypes, sizes and notes. */
export function describePreset(preset: ModelPreset): string {
  const sizes = presetSizes(preset);
  const where = preset.source === 'hub' ? 'Hugging Face hub' : 'bundled with the app';
  return [
    `${preset.id}: ${preset.label} — policy ${preset.policy}, reference ${preset.reference} (${where})`,
    `  ${preset.parameters} parameters each; dtypes ${preset.dtypes.join(', ')}${sizes ? ` (per model: ${sizes})` : ''}. ${preset.notes}`,
  ].join('\n');
}
