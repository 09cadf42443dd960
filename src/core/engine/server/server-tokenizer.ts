/**
 * The served model's own tokenizer, through its server's tokenize endpoints, for when the user names
 * no tokenizer folder or hub id (docs/servers.md, "Which tokenizer"). The scoring path renders with
 * a synchronous TokenizerLike, and a server answers over the network, so a ServerTokenizer is
 * *prepared per trajectory*: the renderer runs against the tokenizer's caches, every text, message
 * list and token id it asks for that is not cached yet is recorded (answered with a placeholder),
 * the recorded ones are fetched in one batch, and the renderer runs again, until a run asks for
 * nothing new. The rendering is then exactly what the server's tokenizer gives, synchronously.
 *
 * Wire formats (read from the engines' source):
 *  - vLLM `POST /tokenize` (vllm/entrypoints/serve/tokenize/protocol.py, formerly
 *    vllm/entrypoints/openai/protocol.py): `TokenizeCompletionRequest {model, prompt,
 *    add_special_tokens}` and `TokenizeChatRequest {model, messages, add_generation_prompt,
 *    add_special_tokens, tools}` (the chat template applied by the server; a template that raises
 *    is a 400) → `TokenizeResponse {count, max_model_len, tokens, token_strs}`; `POST /detokenize
 *    {model, tokens}` → `{prompt}` (one sequence per request). An unknown model name is a 404.
 *  - SGLang `POST /tokenize` = `/v1/tokenize` and `/detokenize`
 *    (python/sglang/srt/entrypoints/http_server.py, openai/serving_tokenize.py, openai/protocol.py):
 *    `{model, prompt: str | str[], add_special_tokens}` → `{tokens, count, max_model_len}` (lists of
 *    lists for a list of prompts); `{model, tokens: int[] | int[][], skip_special_tokens}` →
 *    `{text: str | str[]}`. No chat template: chat rendering needs a named tokenizer.
 *
 * Token ids travel to a server as ids, so tool-call arguments are sent as the JSON strings of the
 * OpenAI message format; vLLM parses them back into objects before the template sees them
 * (vllm/entrypoints/chat_utils.py, `_postprocess_messages`), as the local template gets them.
 */
import { z } from 'zod';
import type { ChatTemplateMessage, TokenizerLike } from '../types';
import { renderTrajectory, type RenderMode, type RenderOptions } from '../../render';
import type { Trajectory } from '../../trajectory/types';
import { Fnv1a64 } from '../../tokenizer/fingerprint';
import { ServerRequestError, type ReplicaPool } from './client';
import { SERVER_NAMES } from './connect';
import { checkServerTokenizer, ServerTokenizerMismatchError, TOKENIZER_PROBES } from './tokenizer-check';
import type { ServerKind } from './wire';

/** The server has no tokenize endpoint, or it cannot do what the rendering needs: name a tokenizer. */
export class ServerTokenizerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerTokenizerUnavailableError';
  }
}

const vllmTokensSchema = z.looseObject({ tokens: z.array(z.int()) });
const sglangBatchTokensSchema = z.looseObject({ tokens: z.array(z.array(z.int())) });
const vllmDetokenizeSchema = z.looseObject({ prompt: z.string() });
const sglangBatchDetokenizeSchema = z.looseObject({ text: z.array(z.string()) });

/** An id no tokenizer gives: what a not-yet-fetched rendering is made of. */
const PLACEHOLDER_ID = -1;
/** Requests bundled into one for SGLang, whose endpoints take lists. */
const SGLANG_BATCH = 64;
/** Renderer runs per preparation: plain needs 2, chat 3, a chat mapped onto alternating turns 5. */
const MAX_PASSES = 8;

/** What the renderer asked for that was not cached, recorded during a pass. */
class PendingTokenization extends Error {
  constructor() {
    super('the server has not tokenized this yet');
  }
}

type Cached = { ids: number[] } | { error: string };

/** The message as the OpenAI chat format writes it (tool-call arguments as a JSON string). */
function toWireMessage(message: ChatTemplateMessage): Record<string, unknown> {
  if (!message.tool_calls) return { ...message };
  return { ...message, tool_calls: message.tool_calls.map((call) => ({ ...call, function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments) } })) };
}

const chatKey = (messages: readonly ChatTemplateMessage[], tools: unknown[] | undefined) => `chat\u0000${JSON.stringify([messages, tools ?? null])}`;
const textKey = (text: string) => `text\u0000${text}`;

export interface ServerTokenizerSpec {
  kind: ServerKind;
  /** The served model name, as the engine resolved it. */
  model: string;
  /** Where (for messages and the provenance): the server's URL(s). */
  where: string;
}

/**
 * A TokenizerLike answered from the server's tokenize endpoints. `prepare` a trajectory before
 * rendering it; `release` it afterwards (its renderings are dropped, token texts stay).
 */
export class ServerTokenizer implements TokenizerLike {
  readonly eosTokenId = null;
  readonly applyChatTemplate: TokenizerLike['applyChatTemplate'];
  /** `server /tokenize of <url> <model>`: what the CLI and the app say was used. */
  readonly label: string;
  private readonly tokenizations = new Map<string, Cached>();
  private readonly users = new Map<string, number>();
  private readonly keysOf = new Map<Trajectory, Set<string>>();
  private readonly texts = new Map<number, string>();
  private recording: { keys: Set<string>; chats: Map<string, { messages: ChatTemplateMessage[]; tools: unknown[] | undefined }>; texts: Map<string, string>; ids: Set<number> } | null = null;
  private lastFailure: string | null = null;

  private constructor(
    private readonly spec: ServerTokenizerSpec,
    private readonly pool: ReplicaPool,
    readonly bosTokenId: number | null,
    readonly vocabularyFingerprint: string,
  ) {
    this.label = `server /tokenize of ${spec.where} ${JSON.stringify(spec.model)}`;
    this.applyChatTemplate = spec.kind === 'vllm' ? (messages, options) => this.lookUp(chatKey(messages, options.tools), () => ({ messages, tools: options.tools })) : null;
  }

  /**
   * Asks the server to tokenize the probe texts for `spec.model`: a missing endpoint, an unknown
   * name or an answer that is not a tokenization is an error saying what to do. The fingerprint
   * (see `serverVocabularyFingerprint`) and the BOS token come from these answers.
   */
  static async connect(spec: ServerTokenizerSpec, pool: ReplicaPool): Promise<ServerTokenizer> {
    const name = SERVER_NAMES[spec.kind];
    let plain: number[][];
    let withSpecial: number[];
    try {
      plain = await tokenizeTexts(spec, pool, TOKENIZER_PROBES, false);
      [withSpecial] = await tokenizeTexts(spec, pool, [TOKENIZER_PROBES[0]], true);
    } catch (error) {
      if (error instanceof ServerRequestError && (error.status === 404 || error.status === 405)) {
        if (/model/i.test(error.serverMessage)) {
          throw new ServerTokenizerUnavailableError(`the ${name} server at ${spec.where} does not tokenize for the model ${JSON.stringify(spec.model)}: ${error.serverMessage}`);
        }
        throw new ServerTokenizerUnavailableError(
          `the ${name} server at ${spec.where} has no tokenize endpoint (${error.status}), and no tokenizer was named: name the model's own tokenizer (a folder or hub id)`,
        );
      }
      if (error instanceof z.ZodError) throw new ServerTokenizerUnavailableError(`the ${name} server at ${spec.where} answered /tokenize with something that is not a tokenization: name the model's own tokenizer (a folder or hub id)`);
      throw error;
    }
    // The BOS the tokenizer adds is the one extra token in front of the same ids.
    const bos = withSpecial.length === plain[0].length + 1 && plain[0].every((id, index) => withSpecial[index + 1] === id) ? withSpecial[0] : null;
    return new ServerTokenizer(spec, pool, bos, serverVocabularyFingerprint(plain, bos));
  }

  encode(text: string): number[] {
    if (text.length === 0) return [];
    return this.lookUp(textKey(text), () => text);
  }

  decodeTokens(ids: readonly number[]): string[] {
    const out: string[] = [];
    for (const id of ids) {
      const text = this.texts.get(id);
      if (text !== undefined) {
        out.push(text);
        continue;
      }
      if (!this.recording) throw this.notFetched();
      this.recording.ids.add(id);
      throw new PendingTokenization();
    }
    return out;
  }

  /**
   * Fetches what rendering `trajectory` in `mode` asks of the tokenizer; afterwards the rendering
   * (and the token texts of its ids) comes from the caches. A template error the server answered
   * (a 400) is kept and thrown again when the renderer asks, as a local template's would be.
   */
  async prepare(trajectory: Trajectory, mode: RenderMode, options: RenderOptions = {}, signal?: AbortSignal): Promise<void> {
    if (mode === 'chat' && this.applyChatTemplate === null) {
      throw new ServerTokenizerUnavailableError(
        `${SERVER_NAMES[this.spec.kind]}'s tokenize endpoint does not apply chat templates, and no tokenizer was named: name the model's own tokenizer (a folder or hub id) to render in chat mode, or render plain`,
      );
    }
    const keys = this.keysOf.get(trajectory) ?? new Set<string>();
    if (!this.keysOf.has(trajectory)) this.keysOf.set(trajectory, keys);
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const recording = (this.recording = { keys, chats: new Map(), texts: new Map(), ids: new Set<number>() });
      try {
        renderTrajectory(trajectory, this, mode, options);
      } catch {
        // A pass with placeholders may fail anywhere; a real failure shows again when it is rendered.
      } finally {
        this.recording = null;
      }
      if (recording.chats.size === 0 && recording.texts.size === 0 && recording.ids.size === 0) return;
      try {
        await this.fetch(recording, signal);
        this.lastFailure = null;
      } catch (error) {
        this.lastFailure = error instanceof Error ? error.message : String(error);
        throw error;
      }
    }
    throw new Error(`the server's tokenization of trajectory ${JSON.stringify(trajectory.id)} did not settle after ${MAX_PASSES} rounds of requests`);
  }

  /** Drops the renderings fetched for `trajectory` (those another prepared trajectory shares stay). */
  release(trajectory: Trajectory): void {
    const keys = this.keysOf.get(trajectory);
    if (!keys) return;
    this.keysOf.delete(trajectory);
    for (const key of keys) {
      const left = (this.users.get(key) ?? 1) - 1;
      if (left > 0) this.users.set(key, left);
      else {
        this.users.delete(key);
        this.tokenizations.delete(key);
      }
    }
  }

  private notFetched(): Error {
    return new Error(`the ${this.label} was not asked for this rendering${this.lastFailure ? `: ${this.lastFailure}` : ' (the trajectory was not prepared)'}`);
  }

  private lookUp(key: string, request: () => string | { messages: ChatTemplateMessage[]; tools: unknown[] | undefined }): number[] {
    const cached = this.tokenizations.get(key);
    const recording = this.recording;
    if (cached) {
      if (recording && !recording.keys.has(key)) {
        recording.keys.add(key);
        this.users.set(key, (this.users.get(key) ?? 0) + 1);
      }
      if ('error' in cached) throw new Error(cached.error);
      return [...cached.ids];
    }
    if (!recording) throw this.notFetched();
    const what = request();
    if (typeof what === 'string') recording.texts.set(key, what);
    else recording.chats.set(key, what);
    // One placeholder per message: prefix renderings of distinct lengths, so the pass reaches the span checks.
    return typeof what === 'string' ? [PLACEHOLDER_ID] : what.messages.map(() => PLACEHOLDER_ID);
  }

  private remember(keys: Set<string>, key: string, value: Cached): void {
    this.tokenizations.set(key, value);
    if (!keys.has(key)) {
      keys.add(key);
      this.users.set(key, (this.users.get(key) ?? 0) + 1);
    }
  }

  private async fetch(recording: NonNullable<ServerTokenizer['recording']>, signal?: AbortSignal): Promise<void> {
    const { spec, pool } = this;
    const ids = new Set([...recording.ids].filter((id) => id !== PLACEHOLDER_ID));
    // Plain rendering writes the BOS itself: its text is needed with the fetched ids'.
    if (this.bosTokenId !== null && !this.texts.has(this.bosTokenId)) ids.add(this.bosTokenId);
    const learnIds = (tokens: readonly number[]) => {
      for (const id of tokens) if (!this.texts.has(id)) ids.add(id);
    };
    const textEntries = [...recording.texts];
    const answers = await tokenizeTexts(spec, pool, textEntries.map(([, text]) => text), false, signal);
    textEntries.forEach(([key], index) => {
      this.remember(recording.keys, key, { ids: answers[index] });
      learnIds(answers[index]);
    });
    await Promise.all(
      [...recording.chats].map(async ([key, { messages, tools }]) => {
        const body = { model: spec.model, messages: messages.map(toWireMessage), add_generation_prompt: false, add_special_tokens: false, ...(tools ? { tools } : {}) };
        try {
          const tokens = await pool.post('/tokenize', body, (answer) => vllmTokensSchema.parse(answer).tokens, signal);
          this.remember(recording.keys, key, { ids: tokens });
          learnIds(tokens);
        } catch (error) {
          // A template that raises is vLLM's 400 (a message list it will not take, a 4xx): kept, and thrown
          // when the renderer asks again. A 404 (the model or the endpoint gone) is not the template's.
          if (!(error instanceof ServerRequestError && error.status >= 400 && error.status < 500 && error.status !== 404)) throw error;
          this.remember(recording.keys, key, { error: `the server's chat template failed: ${error.serverMessage}` });
        }
      }),
    );
    const wanted = [...ids];
    const decoded = await detokenizeEach(spec, pool, wanted, signal);
    wanted.forEach((id, index) => this.texts.set(id, decoded[index]));
  }
}

/** Each text's ids, no special tokens unless asked (vLLM: one request per text; SGLang: lists of texts). */
async function tokenizeTexts(spec: ServerTokenizerSpec, pool: ReplicaPool, texts: readonly string[], addSpecialTokens: boolean, signal?: AbortSignal): Promise<number[][]> {
  if (spec.kind === 'vllm') {
    return Promise.all(texts.map((prompt) => pool.post('/tokenize', { model: spec.model, prompt, add_special_tokens: addSpecialTokens }, (body) => vllmTokensSchema.parse(body).tokens, signal)));
  }
  const batches: Promise<number[][]>[] = [];
  for (let start = 0; start < texts.length; start += SGLANG_BATCH) {
    const prompt = texts.slice(start, start + SGLANG_BATCH);
    batches.push(
      pool.post('/tokenize', { model: spec.model, prompt, add_special_tokens: addSpecialTokens }, (body) => {
        const tokens = sglangBatchTokensSchema.parse(body).tokens;
        if (tokens.length !== prompt.length) throw new Error(`SGLang's /tokenize answered ${tokens.length} tokenizations for ${prompt.length} texts`);
        return tokens;
      }, signal),
    );
  }
  return (await Promise.all(batches)).flat();
}

/** Each id's own text, special tokens written out (vLLM: one request per id; SGLang: lists of ids). */
async function detokenizeEach(spec: ServerTokenizerSpec, pool: ReplicaPool, ids: readonly number[], signal?: AbortSignal): Promise<string[]> {
  if (spec.kind === 'vllm') {
    return Promise.all(ids.map((id) => pool.post('/detokenize', { model: spec.model, tokens: [id] }, (body) => vllmDetokenizeSchema.parse(body).prompt, signal)));
  }
  const batches: Promise<string[]>[] = [];
  for (let start = 0; start < ids.length; start += SGLANG_BATCH * 4) {
    const tokens = ids.slice(start, start + SGLANG_BATCH * 4).map((id) => [id]);
    batches.push(
      pool.post('/detokenize', { model: spec.model, tokens, skip_special_tokens: false }, (body) => {
        const text = sglangBatchDetokenizeSchema.parse(body).text;
        if (text.length !== tokens.length) throw new Error(`SGLang's /detokenize answered ${text.length} texts for ${tokens.length} sequences`);
        return text;
      }, signal),
    );
  }
  return (await Promise.all(batches)).flat();
}

/**
 * `server-tokenize:fnv1a64:<hex>` over the ids the server gives for TOKENIZER_PROBES and its BOS.
 * Equal for two servers whose tokenizers split those texts (prose, code, white space, accents, CJK,
 * an emoji) into the same ids with the same BOS — then their token-level scores are paired, as two
 * local tokenizers with equal vocabularies are; different otherwise (step-level scores). It is not
 * the fingerprint of a local tokenizer (that hashes the whole vocabulary): a tokenizer named for one
 * side only serves the other side too when it tokenizes as that server does (namedTokenizerServesBoth).
 */
export function serverVocabularyFingerprint(probeIds: readonly (readonly number[])[], bos: number | null): string {
  const hash = new Fnv1a64();
  probeIds.forEach((ids, index) => hash.update(`${JSON.stringify(TOKENIZER_PROBES[index])}\t${ids.join(',')}\n`));
  hash.update(`bos\t${bos ?? 'none'}\n`);
  return `server-tokenize:fnv1a64:${hash.hex()}`;
}

/** A pair side's tokenizer and what it is (`folder …`, `hub model "…"`, `server /tokenize of …`). */
export interface LabelledTokenizer {
  tokenizer: TokenizerLike;
  label: string;
}

/**
 * How two tokenizers pair when either is a server's: token level when their fingerprints are equal
 * (two servers of one tokenizer, or the same named tokenizer twice), step level otherwise. A server
 * tokenizer's fingerprint is not a local one's, so a named tokenizer on one side and the server's on
 * the other pair at step level (used when the named one does not tokenize as the other server).
 */
export function pairLabelledTokenizers(policy: LabelledTokenizer, reference: LabelledTokenizer): { level: 'token'; relation: 'identical' } | { level: 'step'; notice: string } {
  if (policy.tokenizer.vocabularyFingerprint === reference.tokenizer.vocabularyFingerprint) return { level: 'token', relation: 'identical' };
  const mixed = policy.tokenizer instanceof ServerTokenizer !== reference.tokenizer instanceof ServerTokenizer;
  return {
    level: 'step',
    notice:
      `the policy tokenizer (${policy.label}) and the reference tokenizer (${reference.label}) are not known to tokenize alike ` +
      `(fingerprints ${policy.tokenizer.vocabularyFingerprint} and ${reference.tokenizer.vocabularyFingerprint}); falling back to step-level scores: ` +
      'each model scores the trajectory in its own tokenization and a step gets the difference of its two log-likelihoods' +
      (mixed ? ' (the named tokenizer does not tokenize as the other server does, so each side keeps its own)' : ''),
  };
}

/**
 * With a tokenizer named for one side only: whether it also tokenizes as the other side's server
 * does for its served name (checkServerTokenizer's probes). Then it serves both sides, and the pair
 * is scored at token level as if it were named twice; otherwise the other side keeps its server's
 * tokenizer (and step-level scores, said by pairLabelledTokenizers).
 */
export async function namedTokenizerServesBoth(named: LabelledTokenizer, other: { kind: ServerKind; model: string; pool: ReplicaPool }): Promise<boolean> {
  try {
    return (await checkServerTokenizer(other.kind, other.model, named.tokenizer, other.pool, named.label)).agrees === true;
  } catch (error) {
    if (error instanceof ServerTokenizerMismatchError) return false;
    throw error;
  }
}

/** Prepares the tokenizers of a pair that are server tokenizers for `trajectory` (each once). */
export async function prepareServerTokenizers(tokenizers: readonly (TokenizerLike | null)[], trajectory: Trajectory, mode: RenderMode, signal?: AbortSignal): Promise<void> {
  const servers = new Set(tokenizers.filter((tokenizer): tokenizer is ServerTokenizer => tokenizer instanceof ServerTokenizer));
  for (const tokenizer of servers) await tokenizer.prepare(trajectory, mode, {}, signal);
}

/** Releases what `prepareServerTokenizers` fetched for `trajectory`. */
export function releaseServerTokenizers(tokenizers: readonly (TokenizerLike | null)[], trajectory: Trajectory): void {
  for (const tokenizer of new Set(tokenizers)) if (tokenizer instanceof ServerTokenizer) tokenizer.release(trajectory);
}
