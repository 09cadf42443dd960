/**
 * Test support: a server that speaks vLLM's OpenAI-compatible interface for prompt log-probs as its
 * source defines it (vllm/entrypoints/openai/completion/serving.py and protocol.py,
 * vllm/entrypoints/openai/models/serving.py): `GET /v1/models` with `max_model_len`,
 * `POST /v1/completions` with a token-id `prompt`, `prompt_logprobs` (capped by `max_logprobs`,
 * default 20) and `return_token_ids`, answering `choices[0].prompt_logprobs` (null, then per
 * position a map from token id to {logprob, rank, decoded_token} holding the top k and the actual
 * token), and vLLM's 400 / 404 texts for a prompt over the context, too many log-probs and an
 * unknown model. The numbers come from a LogprobOracle (logprob-oracle.ts).
 */
import { startFakeServer, type FakeReply, type FakeServer, type Faults } from './fake-inference-server';
import type { LogprobOracle } from './logprob-oracle';

export interface ServedModel {
  oracle: LogprobOracle;
  maxModelLen: number;
  /** What `/v1/models` says when it differs from what is enforced (a proxy, a misconfigured replica). */
  advertisedMaxModelLen?: number;
}

export interface FakeVllmOptions {
  /** Served model name → its numbers and context. */
  models: Record<string, ServedModel>;
  /** vLLM's `--max-logprobs` (default 20). */
  maxLogprobs?: number;
  port?: number;
  faults?: Partial<Faults>;
  /** vLLM's `--allowed-origins` (its default is every origin; absent here: no CORS header). */
  allowedOrigins?: readonly string[];
}

function vllmError(status: number, message: string, type: string, param: string | null): FakeReply {
  return { status, body: { error: { message, type, param, code: status } } };
}

interface CompletionBody {
  model?: unknown;
  prompt?: unknown;
  max_tokens?: unknown;
  prompt_logprobs?: unknown;
  return_token_ids?: unknown;
}

export function startFakeVllm(options: FakeVllmOptions): Promise<FakeServer> {
  const maxLogprobs = options.maxLogprobs ?? 20;
  const created = Math.floor(Date.now() / 1000);
  return startFakeServer(
    {
      get: {
        '/v1/models': () => ({
          status: 200,
          body: {
            object: 'list',
            data: Object.entries(options.models).map(([id, model]) => ({ id, object: 'model', created, owned_by: 'vllm', root: id, parent: null, max_model_len: model.advertisedMaxModelLen ?? model.maxModelLen, permission: [] })),
          },
        }),
        '/health': () => ({ status: 200, body: {} }),
      },
      post: {
        // vllm/entrypoints/serve/tokenize/protocol.py (formerly openai/protocol.py): TokenizeCompletionRequest
        // {model, prompt, add_special_tokens = true, return_token_strs} or TokenizeChatRequest {model, messages,
        // add_generation_prompt = true, add_special_tokens = false, tools, return_token_strs} → TokenizeResponse
        // {count, max_model_len, tokens, token_strs}; a template that raises is a 400 (serving.py).
        '/tokenize': (raw) => {
          const body = (raw ?? {}) as { model?: unknown; prompt?: unknown; messages?: unknown; add_special_tokens?: unknown; add_generation_prompt?: unknown; tools?: unknown; return_token_strs?: unknown };
          const model = options.models[String(body.model)];
          if (!model) return vllmError(404, `The model \`${String(body.model)}\` does not exist.`, 'NotFoundError', 'model');
          if (!model.oracle.encode) return { status: 404, body: { detail: 'Not Found' } };
          const tokenization = model.oracle.tokenization;
          let tokens: number[];
          if (Array.isArray(body.messages)) {
            if (!tokenization) return { status: 404, body: { detail: 'Not Found' } };
            // chat_utils.py _postprocess_messages: an assistant's tool-call arguments (JSON strings) become objects for the template.
            const messages = (body.messages as Record<string, unknown>[]).map((message) =>
              Array.isArray(message.tool_calls)
                ? { ...message, tool_calls: (message.tool_calls as { function: { name: string; arguments: unknown } }[]).map((call) => ({ ...call, function: { ...call.function, arguments: typeof call.function.arguments === 'string' ? JSON.parse(call.function.arguments) : call.function.arguments } })) }
                : message,
            );
            try {
              tokens = tokenization.applyChatTemplate(messages, { addGenerationPrompt: body.add_generation_prompt !== false, ...(Array.isArray(body.tools) ? { tools: body.tools } : {}) });
            } catch (error) {
              return vllmError(400, `${error instanceof Error ? error.message : String(error)} None`, 'BadRequestError', null);
            }
            if (body.add_special_tokens === true) tokens = [...tokenization.encode('', true), ...tokens];
          } else {
            if (typeof body.prompt !== 'string') return vllmError(400, 'prompt must be a string', 'BadRequestError', 'prompt');
            const addSpecial = body.add_special_tokens !== false;
            tokens = addSpecial && tokenization ? tokenization.encode(body.prompt, true) : model.oracle.encode(body.prompt);
          }
          const tokenStrs = body.return_token_strs === true && tokenization ? tokenization.tokenStrings(tokens) : null;
          return { status: 200, body: { count: tokens.length, max_model_len: model.maxModelLen, tokens, token_strs: tokenStrs } };
        },
        // DetokenizeRequest {model, tokens} → DetokenizeResponse {prompt}: the tokenizer's decode of the ids.
        '/detokenize': (raw) => {
          const body = (raw ?? {}) as { model?: unknown; tokens?: unknown };
          const model = options.models[String(body.model)];
          if (!model) return vllmError(404, `The model \`${String(body.model)}\` does not exist.`, 'NotFoundError', 'model');
          if (!model.oracle.tokenization) return { status: 404, body: { detail: 'Not Found' } };
          if (!Array.isArray(body.tokens) || !body.tokens.every((id) => Number.isInteger(id) && id >= 0)) return vllmError(400, 'tokens must be a list of non-negative integers', 'BadRequestError', 'tokens');
          return { status: 200, body: { prompt: model.oracle.tokenization.decode(body.tokens as number[], false) } };
        },
        '/v1/completions': async (raw) => {
          const body = (raw ?? {}) as CompletionBody;
          const name = String(body.model);
          const model = options.models[name];
          if (!model) return vllmError(404, `The model \`${name}\` does not exist.`, 'NotFoundError', 'model');
          if (!Array.isArray(body.prompt) || !body.prompt.every((id) => Number.isInteger(id))) return vllmError(400, 'prompt must be a list of token ids here', 'BadRequestError', 'prompt');
          const prompt = body.prompt as number[];
          const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : 16;
          const k = body.prompt_logprobs;
          if (typeof k !== 'number') return vllmError(400, 'this fake answers prompt_logprobs requests only', 'BadRequestError', 'prompt_logprobs');
          // vllm/v1/engine/processor.py (_validate_logprobs) and serving_engine's input length check.
          if (k > maxLogprobs) {
            return vllmError(400, `Requested prompt logprobs of ${k}, which is greater than max allowed: ${maxLogprobs} (parameter=prompt_logprobs, value=${k})`, 'BadRequestError', 'prompt_logprobs');
          }
          if (prompt.length + maxTokens > model.maxModelLen) {
            const maxInput = model.maxModelLen - maxTokens;
            return vllmError(
              400,
              `You passed ${prompt.length} input tokens and requested ${maxTokens} output tokens. However, the model's context length is only ${model.maxModelLen} tokens, resulting in a maximum input length of ${maxInput} tokens. Please reduce the length of the input prompt. (parameter=input_tokens, value=${prompt.length})`,
              'BadRequestError',
              'input_tokens',
            );
          }
          const answer = await model.oracle.promptLogprobs(prompt, k);
          const promptLogprobs: (Record<string, { logprob: number; rank: number; decoded_token: string }> | null)[] = [null];
          for (let position = 1; position < prompt.length; position++) {
            const entry: Record<string, { logprob: number; rank: number; decoded_token: string }> = {};
            const actual = prompt[position];
            const top = answer.top?.[position - 1] ?? [];
            const actualLogprob = answer.logprob[position - 1];
            // The actual token first with its rank (1 + the tokens more likely), then the top k.
            const rank = top.findIndex((candidate) => candidate.id === actual);
            entry[String(actual)] = { logprob: actualLogprob, rank: rank >= 0 ? rank + 1 : top.length + 1, decoded_token: model.oracle.decode(actual) };
            top.forEach((candidate, index) => {
              if (candidate.id !== actual) entry[String(candidate.id)] = { logprob: candidate.logprob, rank: index + 1, decoded_token: model.oracle.decode(candidate.id) };
            });
            promptLogprobs.push(entry);
          }
          return {
            status: 200,
            body: {
              id: `cmpl-${Math.random().toString(16).slice(2)}`,
              object: 'text_completion',
              created,
              model: name,
              choices: [
                {
                  index: 0,
                  text: ' x',
                  logprobs: null,
                  finish_reason: 'length',
                  stop_reason: null,
                  prompt_logprobs: promptLogprobs,
                  prompt_token_ids: body.return_token_ids === true ? prompt : null,
                  token_ids: body.return_token_ids === true ? [0] : null,
                },
              ],
              usage: { prompt_tokens: prompt.length, total_tokens: prompt.length + 1, completion_tokens: 1 },
            },
          };
        },
      },
      scoring: ['/v1/completions'],
    },
    { ...(options.port !== undefined ? { port: options.port } : {}), ...(options.faults ? { faults: options.faults } : {}), ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}), promptOf: (body) => (body as CompletionBody).prompt as number[] },
  );
}
