/**
 * What vLLM and SGLang servers take and answer for prompt log-probs, as their source defines it,
 * and the one thing the server engine reads out of an answer: the log-prob of each actual prompt
 * token (and, when asked, its position's top-k log-probs).
 *
 * vLLM, OpenAI-compatible server (vllm/entrypoints/openai/completion/serving.py,
 * `request_output_to_completion_response`; vllm/entrypoints/openai/completion/protocol.py):
 * `POST /v1/completions` with `prompt` a list of token ids, `max_tokens: 1` and vLLM's
 * `prompt_logprobs: k`; `choices[0].prompt_logprobs` is `null` for position 0, then per position a
 * map from token id (a string: pydantic writes int keys as strings) to `{logprob, rank,
 * decoded_token}` holding the actual token (k entries when it is among the top k, else k + 1;
 * −∞ clamped to −9999.0 by `clamp_prompt_logprobs`). `GET /v1/models` lists `ModelCard`s with
 * `max_model_len`. Errors: `{"error": {message, type, param, code}}`, older versions a flat
 * `{"object": "error", message, type, param, code}`.
 *
 * SGLang (python/sglang/srt/entrypoints/http_server.py `generate_request`, `get_model_info`;
 * python/sglang/srt/managers/io_struct.py `GenerateReqInput`): `POST /generate` with `input_ids`,
 * `sampling_params: {max_new_tokens: 1}`, `return_logprob: true`, `logprob_start_len: 0` (the
 * default −1 returns no prompt log-probs) and `top_logprobs_num`; the answer's
 * `meta_info.input_token_logprobs` is a list of `[logprob | null, token_id, text | null]` and
 * `meta_info.input_top_logprobs` per position a list of such triples (or null). `GET
 * /get_model_info` (newer also `/model_info`) names the model (`model_path`); its context comes
 * from the OpenAI-compatible `/v1/models` (`max_model_len`) or `/get_server_info`
 * (`max_req_input_len`). Errors: `{"error": {"message"}}` with status 400.
 */
import { z } from 'zod';

export type ServerKind = 'vllm' | 'sglang';

/** vLLM clamps −∞ to this before writing JSON (`max(logprob, -9999.0)`). */
export const VLLM_NEGATIVE_INFINITY = -9999;

// ---------------------------------------------------------------------------------------------
// Requests

/** The body of vLLM's `POST /v1/completions` that returns the prompt's log-probs. */
export function vllmCompletionRequest(model: string, tokenIds: readonly number[], topLogprobs: number) {
  return { model, prompt: Array.from(tokenIds), max_tokens: 1, temperature: 0, prompt_logprobs: topLogprobs, return_token_ids: true };
}

/** The body of SGLang's `POST /generate` that returns the prompt's log-probs. */
export function sglangGenerateRequest(tokenIds: readonly number[], topLogprobs: number) {
  return {
    input_ids: Array.from(tokenIds),
    sampling_params: { max_new_tokens: 1, temperature: 0 },
    return_logprob: true,
    logprob_start_len: 0,
    top_logprobs_num: topLogprobs,
    return_text_in_logprobs: false,
    stream: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Answers

const vllmLogprobSchema = z.looseObject({ logprob: z.number(), rank: z.number().nullish(), decoded_token: z.string().nullish() });

export const vllmCompletionResponseSchema = z.looseObject({
  model: z.string().nullish(),
  choices: z
    .array(
      z.looseObject({
        prompt_logprobs: z.array(z.record(z.string(), vllmLogprobSchema).nullable()).nullish(),
        prompt_token_ids: z.array(z.int()).nullish(),
      }),
    )
    .min(1),
});

export const vllmModelListSchema = z.looseObject({
  data: z.array(z.looseObject({ id: z.string(), max_model_len: z.int().positive().nullish(), root: z.string().nullish() })),
});

const sglangTripleSchema = z.tuple([z.number().nullable(), z.int(), z.string().nullish()]).rest(z.unknown());

export const sglangGenerateResponseSchema = z.looseObject({
  meta_info: z.looseObject({
    input_token_logprobs: z.array(sglangTripleSchema),
    input_top_logprobs: z.array(z.array(sglangTripleSchema).nullable()).nullish(),
  }),
});

export const sglangModelInfoSchema = z.looseObject({ model_path: z.string(), tokenizer_path: z.string().nullish(), is_generation: z.boolean().nullish() });

export const sglangServerInfoSchema = z.looseObject({ max_req_input_len: z.int().positive().nullish(), context_length: z.int().positive().nullish() });

/** vLLM's nested `{"error": {…}}`, its older flat `{"object": "error", …}`, SGLang's `{"error": {"message"}}`, FastAPI's `{"detail"}`. */
export function errorMessageOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const record = body as Record<string, unknown>;
  const nested = record.error;
  if (typeof nested === 'object' && nested !== null && typeof (nested as Record<string, unknown>).message === 'string') return (nested as { message: string }).message;
  if (typeof nested === 'string') return nested;
  if (typeof record.message === 'string') return record.message;
  if (typeof record.detail === 'string') return record.detail;
  return null;
}

/** Per position p ≥ 1 of the prompt: log π(token_p | tokens_<p), and the top-k log-probs of that position when asked. */
export interface PromptLogprobs {
  /** Index p − 1 ↔ position p (length: prompt length − 1). */
  logprob: Float64Array;
  /** Index p − 1 ↔ the position's k highest log-probs, highest first; null when k was 0. */
  top: Float64Array[] | null;
}

/** A well-formed answer that does not hold what was asked: a server fault, retried like a 5xx. */
export class MalformedAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedAnswerError';
  }
}

function highest(values: number[], k: number): Float64Array {
  return Float64Array.from(values.sort((a, b) => b - a).slice(0, k));
}

function finite(value: number, position: number, tokenId: number): number {
  // vLLM writes −∞ as −9999.0; a real model's float logits do not give a token probability 0 otherwise.
  if (value <= VLLM_NEGATIVE_INFINITY) throw new MalformedAnswerError(`position ${position}: the server gives token ${tokenId} probability 0 (log-prob −∞, sent as ${value})`);
  return value;
}

export function readVllmPromptLogprobs(body: unknown, tokenIds: readonly number[], topLogprobs: number): PromptLogprobs {
  const parsed = vllmCompletionResponseSchema.safeParse(body);
  if (!parsed.success) throw new MalformedAnswerError(`not a vLLM completion with prompt_logprobs: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  const choice = parsed.data.choices[0];
  const entries = choice.prompt_logprobs;
  if (!entries) throw new MalformedAnswerError('the completion has no prompt_logprobs (is this a vLLM server? other OpenAI-compatible servers do not return them)');
  if (entries.length !== tokenIds.length) throw new MalformedAnswerError(`prompt_logprobs has ${entries.length} entries for a prompt of ${tokenIds.length} tokens`);
  const echoed = choice.prompt_token_ids;
  if (echoed && (echoed.length !== tokenIds.length || echoed.some((id, index) => id !== tokenIds[index]))) {
    throw new MalformedAnswerError('the server answered for other prompt tokens than those sent (prompt_token_ids differ)');
  }
  const logprob = new Float64Array(Math.max(0, tokenIds.length - 1));
  const top = topLogprobs > 0 ? new Array<Float64Array>(logprob.length) : null;
  for (let position = 1; position < tokenIds.length; position++) {
    const entry = entries[position];
    const actual = entry?.[String(tokenIds[position])];
    if (!entry || !actual) throw new MalformedAnswerError(`prompt_logprobs[${position}] does not hold the actual token ${tokenIds[position]}`);
    logprob[position - 1] = finite(actual.logprob, position, tokenIds[position]);
    if (top) top[position - 1] = highest(Object.values(entry).map((value) => value.logprob), topLogprobs);
  }
  return { logprob, top };
}

export function readSglangPromptLogprobs(body: unknown, tokenIds: readonly number[], topLogprobs: number): PromptLogprobs {
  const parsed = sglangGenerateResponseSchema.safeParse(Array.isArray(body) ? body[0] : body);
  if (!parsed.success) throw new MalformedAnswerError(`not an SGLang generate answer with input_token_logprobs: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  const { input_token_logprobs: entries, input_top_logprobs: topEntries } = parsed.data.meta_info;
  if (entries.length !== tokenIds.length) {
    throw new MalformedAnswerError(`input_token_logprobs has ${entries.length} entries for a prompt of ${tokenIds.length} tokens (was logprob_start_len 0 honoured?)`);
  }
  const logprob = new Float64Array(Math.max(0, tokenIds.length - 1));
  const top = topLogprobs > 0 ? new Array<Float64Array>(logprob.length) : null;
  if (top && (!topEntries || topEntries.length !== tokenIds.length)) throw new MalformedAnswerError(`input_top_logprobs is missing or not one entry per prompt token`);
  for (let position = 1; position < tokenIds.length; position++) {
    const [value, id] = entries[position];
    if (id !== tokenIds[position]) throw new MalformedAnswerError(`input_token_logprobs[${position}] is for token ${id}, the prompt has ${tokenIds[position]}`);
    if (value === null) throw new MalformedAnswerError(`input_token_logprobs[${position}] has no log-prob`);
    logprob[position - 1] = finite(value, position, id);
    if (top) {
      const list = topEntries![position];
      if (!list) throw new MalformedAnswerError(`input_top_logprobs[${position}] is null`);
      top[position - 1] = highest(list.flatMap(([entry]) => (entry === null ? [] : [entry])), topLogprobs);
    }
  }
  return { logprob, top };
}
