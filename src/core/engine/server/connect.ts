/**
 * Connecting to the replicas of one served model before scoring: each replica must answer and serve
 * the model asked for (vLLM `GET /v1/models`; SGLang `GET /get_model_info`, newer `/model_info`),
 * and the context is read from the server. vLLM: the served model's card in `/v1/models`
 * (`max_model_len`). SGLang: its model info names the model but carries no context length in any
 * version (python/sglang/srt/entrypoints/http_server.py `get_model_info` / `model_info`: model_path,
 * tokenizer_path, is_generation, …); the context is the `max_model_len` of its OpenAI-compatible
 * `/v1/models` card (`available_models`: `model_config.context_len`), and `/get_server_info` adds
 * the scheduler's `max_req_input_len` = min(context − 1, KV cache pool − 1) − 5: the scheduler
 * refuses a prompt of that many tokens or more (python/sglang/srt/managers/utils.py
 * `validate_input_length`), so a small KV pool lowers the longest prompt below the context. Errors
 * say which URL, what it answered and what to do; and, for a 4xx while scoring, what to change
 * (hintFor).
 */
import { ServerRequestError, type ReplicaPool } from './client';
import { sglangModelInfoSchema, sglangServerInfoSchema, vllmModelListSchema, type ServerKind } from './wire';

export interface ServerModelSpec {
  kind: ServerKind;
  /** Base URLs of the replicas serving the model (data-parallel). */
  urls: readonly string[];
  /** The served model name; absent: the one model the server serves. */
  model?: string;
  /** Top log-probs asked per position: 20 (the top-20 mean is computed) or 0 (the actual token only). */
  topLogprobs: number;
}

export interface ServerModelInfo {
  /** The served model name requests carry (vLLM's `model`). */
  model: string;
  /** Smallest context among the replicas. */
  context: number;
  /** Longest prompt every replica takes when a server says less than its context allows (SGLang's `max_req_input_len` − 1); absent: the context decides. */
  maxPromptTokens?: number;
  urls: string[];
}

export const SERVER_NAMES: Record<ServerKind, string> = { vllm: 'vLLM', sglang: 'SGLang' };

export function describeServerModel(kind: ServerKind, info: ServerModelInfo): string {
  return `${kind}/${info.model}@${info.urls.join(',')}`;
}

/** A server that could not be used: says which URL and why. */
export class ServerConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerConnectError';
  }
}

const CORS_HINT =
  "if this runs in a browser, the server may not allow this page's origin: if vLLM was started with --allowed-origins, add the page's origin to it (SGLang allows every origin)";

function unreachable(kind: ServerKind, url: string, error: unknown): ServerConnectError {
  const reason = error instanceof Error ? error.message : String(error);
  const browserFetch = error instanceof TypeError && /failed to fetch|networkerror|load failed/i.test(reason);
  return new ServerConnectError(`cannot reach the ${SERVER_NAMES[kind]} server at ${url}: ${reason}${browserFetch ? ` (${CORS_HINT})` : ''}`);
}

interface ReplicaModel {
  names: string[];
  /** Context of each served name, null where the server does not say. */
  contexts: Map<string, number | null>;
  /** Longest prompt the replica takes, where it says one below what its context allows. */
  maxPrompt: number | null;
}

async function vllmReplica(pool: ReplicaPool, url: string): Promise<ReplicaModel> {
  const list = await pool.probe(url, '/v1/models', (body) => vllmModelListSchema.parse(body));
  return { names: list.data.map((card) => card.id), contexts: new Map(list.data.map((card) => [card.id, card.max_model_len ?? null])), maxPrompt: null };
}

async function sglangReplica(pool: ReplicaPool, url: string): Promise<ReplicaModel> {
  let info;
  try {
    info = await pool.probe(url, '/get_model_info', (body) => sglangModelInfoSchema.parse(body));
  } catch (error) {
    if (!(error instanceof ServerRequestError && error.status === 404)) throw error;
    info = await pool.probe(url, '/model_info', (body) => sglangModelInfoSchema.parse(body));
  }
  if (info.is_generation === false) throw new ServerConnectError(`the SGLang server at ${url} serves ${info.model_path}, an embedding model: it gives no log-probs`);
  const names = [info.model_path];
  let context: number | null = null;
  // The OpenAI-compatible list also carries a --served-model-name and the context (model_config.context_len).
  const list = await pool.probe(url, '/v1/models', (body) => vllmModelListSchema.parse(body)).catch(() => null);
  for (const card of list?.data ?? []) {
    if (!names.includes(card.id)) names.push(card.id);
    if (card.max_model_len) context = card.max_model_len;
  }
  const server = await pool.probe(url, '/get_server_info', (body) => sglangServerInfoSchema.parse(body)).catch(() => null);
  // `context_length` is the --context-length flag (null unless given); `max_req_input_len` bounds the prompt (prompt < it).
  context ??= server?.context_length ?? null;
  const maxPrompt = server?.max_req_input_len ? server.max_req_input_len - 1 : null;
  return { names, contexts: new Map(names.map((name) => [name, context ?? (maxPrompt !== null ? maxPrompt + 2 : null)])), maxPrompt };
}

/** What one server serves, as its model listing says (the app's connection check shows it before scoring). */
export interface ServedModels {
  url: string;
  /** Each served name with its context (`max_model_len`; null where the server does not say). */
  models: { name: string; context: number | null }[];
  /** Longest prompt the server takes where it says one below its context (SGLang); null otherwise. */
  maxPromptTokens: number | null;
}

/** One replica's listing; errors are ServerConnectError naming the URL and why (no retry). */
async function probeReplica(kind: ServerKind, url: string, pool: ReplicaPool): Promise<ReplicaModel> {
  const name = SERVER_NAMES[kind];
  try {
    return kind === 'vllm' ? await vllmReplica(pool, url) : await sglangReplica(pool, url);
  } catch (error) {
    if (error instanceof ServerConnectError) throw error;
    if (error instanceof ServerRequestError) throw new ServerConnectError(`the ${name} server at ${url} refused the model query: ${error.message} (is it a ${name} server?)`);
    if (error instanceof Error && error.name === 'ZodError') throw new ServerConnectError(`${url} does not answer like a ${name} server: its model listing is not ${name}'s (${error.message.slice(0, 200)})`);
    throw unreachable(kind, url, error);
  }
}

/** Asks one server what it serves, once (the app's connection check); errors as connectServerModel's. */
export async function listServedModels(kind: ServerKind, url: string, pool: ReplicaPool): Promise<ServedModels> {
  const replica = await probeReplica(kind, url, pool);
  return { url, models: replica.names.map((name) => ({ name, context: replica.contexts.get(name) ?? null })), maxPromptTokens: replica.maxPrompt };
}

/** Probes every replica; all must serve `spec.model` (or exactly one model when none is named). */
export async function connectServerModel(spec: ServerModelSpec, pool: ReplicaPool): Promise<ServerModelInfo> {
  const name = SERVER_NAMES[spec.kind];
  let model = spec.model ?? null;
  let context = Infinity;
  let maxPrompt = Infinity;
  for (const url of pool.urls) {
    const replica = await probeReplica(spec.kind, url, pool);
    if (model === null) {
      if (replica.names.length !== 1) throw new ServerConnectError(`the ${name} server at ${url} serves ${replica.names.map((n) => JSON.stringify(n)).join(', ')}: name one with --policy-model / --reference-model`);
      model = replica.names[0];
    } else if (!replica.names.includes(model)) {
      throw new ServerConnectError(`the ${name} server at ${url} does not serve ${JSON.stringify(model)}; it serves ${replica.names.map((n) => JSON.stringify(n)).join(', ')}`);
    }
    const replicaContext = replica.contexts.get(model) ?? null;
    if (replicaContext === null) {
      throw new ServerConnectError(
        `the ${name} server at ${url} does not say its context length (no max_model_len for ${JSON.stringify(model)} in /v1/models${spec.kind === 'sglang' ? ', nor context_length or max_req_input_len in /get_server_info' : ''})`,
      );
    }
    context = Math.min(context, replicaContext);
    if (replica.maxPrompt !== null) maxPrompt = Math.min(maxPrompt, replica.maxPrompt);
  }
  return { model: model!, context, ...(maxPrompt < Infinity ? { maxPromptTokens: maxPrompt } : {}), urls: pool.urls };
}

/** What to change for a 4xx the server gave while scoring (its words are vLLM's and SGLang's). */
export function hintFor(kind: ServerKind): (status: number, message: string) => string | null {
  return (status, message) => {
    // SGLang's scheduler: "Input length (N tokens) exceeds the maximum allowed length (M tokens)" (M: its KV cache pool or context, less 6).
    if (/exceeds the maximum allowed length/i.test(message)) {
      return "the sequence is longer than the server takes (its context or KV cache pool): serve the model with more KV cache memory (--mem-fraction-static) or a larger --context-length, or score with --context-policy reference --context-tokens N";
    }
    if (/maximum input length|context length|maximum context|longer than the model/i.test(message)) {
      return kind === 'vllm'
        ? "the sequence is longer than the server's context: serve the model with a larger --max-model-len, or score with --context-policy reference --context-tokens N"
        : "the sequence is longer than the server's context: serve the model with a larger --context-length, or score with --context-policy reference --context-tokens N";
    }
    if (/logprobs.*max allowed|max_logprobs|max-logprobs/i.test(message)) {
      return kind === 'vllm'
        ? 'the server caps log-probs per position below the 20 the top-20 mean needs: start vLLM with --max-logprobs 20 (or more), or score with --top-logprobs 0 (no top-20 mean)'
        : 'the server refuses the top log-probs asked for: score with --top-logprobs 0 (no top-20 mean)';
    }
    if (status === 404 && /model/i.test(message)) return 'the server does not serve that model name: check --policy-model / --reference-model against GET /v1/models';
    return null;
  };
}
