/**
 * Test support: where the fake vLLM / SGLang servers get their numbers. `engineOracle` answers with
 * the product's own ONNX engine (transformers.js on onnxruntime-node, fp32) for each prompt token's
 * log-prob, and with a plain onnxruntime-node session's full logits (float64 log-softmax) for the
 * top-k lists — so "scored through a server" can be compared with "scored locally". `syntheticOracle`
 * answers instantly with seeded numbers (fault tests, the client benchmark).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { createTransformersEngine, type TransformersEngine } from '../src/core/engine/transformers';
import { withModelLocation } from '../src/core/engine/model-location';
import { fromTransformersTokenizer } from '../src/core/tokenizer';
import type { TokenizerLike } from '../src/core/engine/types';
import { nodeModelFiles } from '../src/node/model-files';

export interface TopEntry {
  id: number;
  logprob: number;
}

export interface OracleAnswer {
  /** Index p − 1 ↔ log π(token_p | tokens_<p), p = 1 … n − 1. */
  logprob: number[];
  /** Index p − 1 ↔ the k most likely tokens at position p, most likely first; null when k = 0. */
  top: TopEntry[][] | null;
}

export interface LogprobOracle {
  promptLogprobs(tokenIds: readonly number[], k: number): Promise<OracleAnswer>;
  decode(id: number): string;
  /** The model's tokenization of a text, no special tokens (the servers' /tokenize); absent: the fake has no /tokenize. */
  encode?(text: string): number[];
  /** The rest of the servers' tokenize endpoints (special tokens, chat template, detokenize), from the model's own tokenizer. */
  tokenization?: FakeTokenization;
}

/** What the fake servers' /tokenize and /detokenize answer with, as the Python tokenizer behind them would. */
export interface FakeTokenization {
  encode(text: string, addSpecialTokens: boolean): number[];
  /** The chat template applied and the text tokenized without special tokens (vLLM's TokenizeChatRequest); throws as the template raises. */
  applyChatTemplate(messages: unknown[], options: { addGenerationPrompt: boolean; tools?: unknown[] }): number[];
  decode(ids: readonly number[], skipSpecialTokens: boolean): string;
  /** The vocabulary's strings of the ids (`convert_ids_to_tokens`, vLLM's `token_strs`). */
  tokenStrings(ids: readonly number[]): string[];
}

/** The servers' tokenize endpoints answered by a loaded transformers.js tokenizer. */
export function fakeTokenization(raw: PreTrainedTokenizer): FakeTokenization {
  const idToToken = new Map<number, string>();
  for (const [token, id] of raw.get_vocab()) if (typeof token === 'string') idToToken.set(id, token);
  return {
    encode: (text, addSpecialTokens) => raw.encode(text, { add_special_tokens: addSpecialTokens }),
    applyChatTemplate: (messages, options) =>
      raw.apply_chat_template(messages as Parameters<typeof raw.apply_chat_template>[0], {
        tools: options.tools ?? null,
        add_generation_prompt: options.addGenerationPrompt,
        tokenize: true,
        return_tensor: false,
        return_dict: false,
      }) as number[],
    decode: (ids, skipSpecialTokens) => raw.decode([...ids], { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: false }),
    tokenStrings: (ids) => ids.map((id) => idToToken.get(id) ?? ''),
  };
}

/** Seeded numbers: deterministic per (position, token), no model. */
export function syntheticOracle(vocabSize = 1000): LogprobOracle {
  const value = (position: number, id: number) => -1 - (((position * 7919 + id * 104729) % 997) / 997) * 8;
  return {
    async promptLogprobs(tokenIds, k) {
      const logprob = Array.from({ length: Math.max(0, tokenIds.length - 1) }, (_, index) => value(index + 1, tokenIds[index + 1]));
      const top = k > 0 ? logprob.map((_, index) => Array.from({ length: k }, (__, rank) => ({ id: (index + rank) % vocabSize, logprob: -0.5 - rank * 0.25 }))) : null;
      return { logprob, top };
    },
    decode: (id) => `t${id}`,
  };
}

interface ModelShape {
  kvHeads: number;
  headDim: number;
}

function shapeOf(folder: string): ModelShape {
  const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, number>;
  if (config.n_head !== undefined) return { kvHeads: config.n_head, headDim: config.n_embd / config.n_head };
  const heads = config.num_attention_heads;
  return { kvHeads: config.num_key_value_heads ?? heads, headDim: config.head_dim ?? config.hidden_size / heads };
}

/** The k largest entries of a logits row as log-probs (float64 log-softmax), largest first. */
function topOfRow(logits: Float32Array, offset: number, vocab: number, k: number): TopEntry[] {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) max = Math.max(max, logits[offset + v]);
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v] - max);
  const logZ = max + Math.log(sum);
  const best: TopEntry[] = [];
  for (let v = 0; v < vocab; v++) {
    const value = logits[offset + v];
    if (best.length === k && value <= best[k - 1].logprob) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].logprob < value) at--;
    best.splice(at, 0, { id: v, logprob: value });
    if (best.length > k) best.pop();
  }
  return best.map((entry) => ({ id: entry.id, logprob: entry.logprob - logZ }));
}

/** Top-k lists of positions 1 … n − 1 from a plain session, run 256 tokens at a time carrying its present.* outputs. */
async function plainSessionTop(session: ort.InferenceSession, shape: ModelShape, tokenIds: readonly number[], k: number): Promise<TopEntry[][]> {
  const pastNames = session.inputNames.filter((name) => name.startsWith('past_key_values.'));
  let past: Record<string, ort.Tensor> = Object.fromEntries(pastNames.map((name) => [name, new ort.Tensor('float32', new Float32Array(0), [1, shape.kvHeads, 0, shape.headDim])]));
  const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
  const top: TopEntry[][] = [];
  const count = tokenIds.length - 1;
  for (let start = 0; start < count; start += 256) {
    const end = Math.min(count, start + 256);
    const ids = tokenIds.slice(start, end);
    const feeds: Record<string, ort.Tensor> = { input_ids: int64([...ids]), attention_mask: int64(Array.from({ length: end }, () => 1)), ...past };
    if (session.inputNames.includes('position_ids')) feeds.position_ids = int64(ids.map((_, offset) => start + offset));
    const outputs = await session.run(feeds);
    const vocab = outputs.logits.dims[2];
    const data = outputs.logits.data as Float32Array;
    for (let row = 0; row < end - start; row++) top.push(topOfRow(data, row * vocab, vocab, k));
    past = Object.fromEntries(pastNames.map((name) => [name, outputs[name.replace('past_key_values.', 'present.')]]));
  }
  return top;
}

/** The product's engine on the model folder `root/modelId` (fp32, CPU); answers are cached per prompt. */
export async function engineOracle(root: string, modelId: string): Promise<LogprobOracle & { dispose(): Promise<void> }> {
  const engine: TransformersEngine = await createTransformersEngine({ modelId, localModelPath: root, files: nodeModelFiles, dtype: 'fp32', device: 'cpu' });
  const raw = await withModelLocation({ modelId, localModelPath: root }, (id) => AutoTokenizer.from_pretrained(id));
  const tokenizer: TokenizerLike = fromTransformersTokenizer(raw);
  const tokenization = fakeTokenization(raw);
  const folder = join(root, modelId);
  const shape = shapeOf(folder);
  let session: ort.InferenceSession | null = null;
  const cache = new Map<string, Promise<OracleAnswer>>();
  const answer = async (tokenIds: readonly number[], k: number): Promise<OracleAnswer> => {
    const [figures] = await engine.score(tokenIds, [{ start: 1, end: tokenIds.length }]);
    let top: TopEntry[][] | null = null;
    if (k > 0) {
      session ??= await ort.InferenceSession.create(join(folder, 'onnx/model.onnx'), { executionProviders: ['cpu'] });
      top = await plainSessionTop(session, shape, tokenIds, k);
    }
    return { logprob: Array.from(figures.logprob), top };
  };
  return {
    promptLogprobs(tokenIds, k) {
      if (tokenIds.length < 2) return Promise.resolve({ logprob: [], top: k > 0 ? [] : null });
      const key = `${k}:${tokenIds.join(',')}`;
      let cached = cache.get(key);
      if (!cached) {
        // One at a time: the engine and the session are not shared across concurrent runs.
        const previous = [...cache.values()].at(-1) ?? Promise.resolve(null);
        cached = previous.catch(() => null).then(() => answer(tokenIds, k));
        cache.set(key, cached);
      }
      return cached;
    },
    decode: (id) => tokenizer.decodeTokens([id])[0] ?? '',
    encode: (text) => tokenizer.encode(text),
    tokenization,
    async dispose() {
      await engine.dispose();
      await session?.release();
    },
  };
}
