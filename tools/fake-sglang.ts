/**
 * Test support: a server that speaks SGLang's native interface for prompt log-probs as its source
 * defines it (python/sglang/srt/entrypoints/http_server.py: `/generate`, `/get_model_info`,
 * `/get_server_info`, `/v1/models` (`available_models`), `_create_error_response`;
 * python/sglang/srt/managers/io_struct.py `GenerateReqInput`; tokenizer_manager's input-length
 * checks and the scheduler's, python/sglang/srt/managers/utils.py `validate_input_length`):
 * `POST /generate` with `input_ids`, `return_logprob`, `logprob_start_len` (default −1: no prompt
 * log-probs) and `top_logprobs_num`, answering `meta_info.input_token_logprobs` as
 * `[logprob | null, id, null]` triples and `meta_info.input_top_logprobs`; errors
 * `{"error": {"message"}}` with status 400. The context is `max_model_len` in `/v1/models`; the
 * scheduler's `max_req_input_len` = min(context − 1, KV pool − 1) − 5 in `/get_server_info`, where
 * `context_length` is the --context-length flag (null unless given).
 */
import { startFakeServer, type FakeReply, type FakeServer, type Faults, type Route } from './fake-inference-server';
import type { ServedModel } from './fake-vllm';

export interface FakeSglangOptions {
  /** SGLang serves one model; its path is its name. */
  modelPath: string;
  model: ServedModel;
  /** KV cache pool in tokens (`max_total_num_tokens`); default: far above the context. */
  kvPoolTokens?: number;
  /** What `/get_server_info` says of `max_req_input_len` when it differs from what is enforced (a proxy, a misconfigured replica); null: the route is missing. */
  advertisedMaxReqInputLen?: number | null;
  /** false: no `/v1/models` (a server answering the native routes only). */
  openAiModels?: boolean;
  port?: number;
  faults?: Partial<Faults>;
}

interface GenerateBody {
  input_ids?: unknown;
  sampling_params?: { max_new_tokens?: unknown };
  return_logprob?: unknown;
  logprob_start_len?: unknown;
  top_logprobs_num?: unknown;
}

const sglangError = (message: string): FakeReply => ({ status: 400, body: { error: { message } } });

export function startFakeSglang(options: FakeSglangOptions): Promise<FakeServer> {
  const { model, modelPath } = options;
  const kvPool = options.kvPoolTokens ?? model.maxModelLen * 64;
  // tp_worker.get_worker_info / scheduler: max_req_len = min(context_len − 1, pool − 1); max_req_input_len = max_req_len − 5.
  const maxReqInputLen = Math.min(model.maxModelLen - 1, kvPool - 1) - 5;
  const advertisedInputLen = options.advertisedMaxReqInputLen === undefined ? maxReqInputLen : options.advertisedMaxReqInputLen;
  const get: Record<string, Route> = {
    '/get_model_info': () => ({ status: 200, body: { model_path: modelPath, tokenizer_path: modelPath, is_generation: true, preferred_sampling_params: null, weight_version: 'default' } }),
    '/v1/models': () => ({ status: 200, body: { object: 'list', data: [{ id: modelPath, object: 'model', created: 0, owned_by: 'sglang', root: modelPath, max_model_len: model.advertisedMaxModelLen ?? model.maxModelLen }] } }),
    '/health': () => ({ status: 200, body: {} }),
  };
  if (options.openAiModels === false) delete get['/v1/models'];
  if (advertisedInputLen !== null) {
    get['/get_server_info'] = () => ({ status: 200, body: { model_path: modelPath, context_length: null, max_total_num_tokens: kvPool, max_req_input_len: advertisedInputLen, version: 'fake' } });
  }
  return startFakeServer(
    {
      get,
      post: {
        // http_server.py openai_v1_tokenize (also /v1/tokenize), openai/serving_tokenize.py: {model, prompt: str | str[],
        // add_special_tokens = true} → {tokens, count, max_model_len} (lists of lists for a list of prompts); no chat template.
        '/tokenize': (raw) => {
          const body = (raw ?? {}) as { prompt?: unknown; add_special_tokens?: unknown };
          if (!model.oracle.encode) return { status: 404, body: { detail: 'Not Found' } };
          const encode = (text: string) => (body.add_special_tokens !== false && model.oracle.tokenization ? model.oracle.tokenization.encode(text, true) : model.oracle.encode!(text));
          if (typeof body.prompt === 'string') {
            const tokens = encode(body.prompt);
            return { status: 200, body: { tokens, count: tokens.length, max_model_len: model.maxModelLen } };
          }
          if (!Array.isArray(body.prompt) || !body.prompt.every((text) => typeof text === 'string')) return sglangError(`Invalid prompt type: ${typeof body.prompt}. Expected str or List[str].`);
          const tokens = (body.prompt as string[]).map(encode);
          return { status: 200, body: { tokens, count: tokens.map((ids) => ids.length), max_model_len: model.maxModelLen } };
        },
        // openai_v1_detokenize (also /v1/detokenize): {model, tokens: int[] | int[][], skip_special_tokens = true} → {text: str | str[]}.
        '/detokenize': (raw) => {
          const body = (raw ?? {}) as { tokens?: unknown; skip_special_tokens?: unknown };
          const tokenization = model.oracle.tokenization;
          if (!tokenization) return { status: 404, body: { detail: 'Not Found' } };
          const skip = body.skip_special_tokens !== false;
          const isIds = (value: unknown): value is number[] => Array.isArray(value) && value.every((id) => Number.isInteger(id));
          if (isIds(body.tokens)) return { status: 200, body: { text: tokenization.decode(body.tokens, skip) } };
          if (Array.isArray(body.tokens) && body.tokens.every(isIds)) return { status: 200, body: { text: (body.tokens as number[][]).map((ids) => tokenization.decode(ids, skip)) } };
          return sglangError(`Invalid tokens type: ${typeof body.tokens}. Expected List[int] or List[List[int]].`);
        },
        '/generate': async (raw) => {
          const body = (raw ?? {}) as GenerateBody;
          if (!Array.isArray(body.input_ids) || !body.input_ids.every((id) => Number.isInteger(id))) return sglangError('Either text, input_ids or input_embeds should be provided.');
          const prompt = body.input_ids as number[];
          const maxNew = typeof body.sampling_params?.max_new_tokens === 'number' ? body.sampling_params.max_new_tokens : 128;
          if (prompt.length >= model.maxModelLen) return sglangError(`The input (${prompt.length} tokens) is longer than the model's context length (${model.maxModelLen} tokens).`);
          if (prompt.length + maxNew >= model.maxModelLen) {
            return sglangError(
              `Requested token count exceeds the model's maximum context length of ${model.maxModelLen} tokens. You requested a total of ${prompt.length + maxNew} tokens: ${prompt.length} tokens from the input messages and ${maxNew} tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.`,
            );
          }
          // The scheduler's check; its abort comes back as the same 400.
          if (prompt.length >= maxReqInputLen) {
            return sglangError(`Input length (${prompt.length} tokens) exceeds the maximum allowed length (${maxReqInputLen} tokens). Use a shorter input or enable --allow-auto-truncate.`);
          }
          const start = typeof body.logprob_start_len === 'number' ? body.logprob_start_len : -1;
          const k = typeof body.top_logprobs_num === 'number' ? body.top_logprobs_num : 0;
          const wantLogprobs = body.return_logprob === true;
          const answer = await model.oracle.promptLogprobs(prompt, k);
          // logprob_start_len −1 (the default): the prompt's log-probs are left out.
          const from = start < 0 ? prompt.length : start;
          const inputTokenLogprobs = prompt.slice(from).map((id, offset) => [from + offset === 0 ? null : answer.logprob[from + offset - 1], id, null]);
          const inputTopLogprobs = prompt.slice(from).map((_, offset) => {
            const position = from + offset;
            return position === 0 || !answer.top ? null : answer.top[position - 1].map((entry) => [entry.logprob, entry.id, null]);
          });
          return {
            status: 200,
            body: {
              text: ' x',
              output_ids: [0],
              meta_info: {
                id: Math.random().toString(16).slice(2),
                finish_reason: { type: 'length', length: 1 },
                prompt_tokens: prompt.length,
                completion_tokens: 1,
                cached_tokens: 0,
                ...(wantLogprobs
                  ? { input_token_logprobs: inputTokenLogprobs, output_token_logprobs: [[-1, 0, null]], input_top_logprobs: inputTopLogprobs, output_top_logprobs: [k > 0 ? [] : null] }
                  : {}),
              },
            },
          };
        },
      },
      scoring: ['/generate'],
    },
    { ...(options.port !== undefined ? { port: options.port } : {}), ...(options.faults ? { faults: options.faults } : {}), promptOf: (body) => (body as GenerateBody).input_ids as number[] },
  );
}
