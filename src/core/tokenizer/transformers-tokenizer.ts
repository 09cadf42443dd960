/**
 * transformers.js tokenizers (`@huggingface/transformers` v4) adapted to the engine's TokenizerLike.
 *
 * API used (v4.3): `encode(text, {add_special_tokens})` → number[];
 * `decode(ids, {skip_special_tokens, clean_up_tokenization_spaces})` → string;
 * `apply_chat_template(messages, {tokenize: true, add_generation_prompt, tools, chat_template,
 * return_tensor: false, return_dict: false})` → number[] (it renders the Jinja template, then tokenizes
 * the text with `add_special_tokens: false`, so a BOS comes only from the template's `bos_token`);
 * `chat_template` (string, a name → template record, or null); `get_vocab()` (token → id, added tokens
 * included); `bos_token_id` / `eos_token_id` / `pad_token_id` / `unk_token_id` (undefined when the
 * tokenizer has none); `all_special_ids`.
 */
import { AutoTokenizer, type PreTrainedTokenizer, type PretrainedTokenizerOptions } from '@huggingface/transformers';
import type { ChatTemplateMessage, TokenizerLike } from '../engine/types';
import { vocabularyFingerprint } from './fingerprint';

export interface TransformersTokenizerOptions {
  /** A Jinja chat template (or the name of one of the tokenizer's named templates) used instead of the tokenizer's own. */
  chatTemplate?: string;
}

function optionalId(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

function hasChatTemplate(tokenizer: PreTrainedTokenizer): boolean {
  const template: unknown = tokenizer.chat_template;
  if (typeof template === 'string') return template.length > 0;
  return typeof template === 'object' && template !== null && Object.keys(template).length > 0;
}

/** The fingerprint of a transformers.js tokenizer's vocabulary and special token ids. */
export function transformersVocabularyFingerprint(tokenizer: PreTrainedTokenizer): string {
  const entries: Array<[string, number]> = [];
  // get_vocab() walks an id-indexed array; ids with no token would come out with an undefined key.
  for (const [token, id] of tokenizer.get_vocab()) if (typeof token === 'string') entries.push([token, id]);
  return vocabularyFingerprint(entries, {
    bos: optionalId(tokenizer.bos_token_id),
    eos: optionalId(tokenizer.eos_token_id),
    pad: optionalId(tokenizer.pad_token_id),
    unk: optionalId(tokenizer.unk_token_id),
    all: tokenizer.all_special_ids ?? [],
  });
}

/** Adapts a loaded transformers.js tokenizer; the fingerprint is computed once, here. */
export function fromTransformersTokenizer(tokenizer: PreTrainedTokenizer, options: TransformersTokenizerOptions = {}): TokenizerLike {
  const chatTemplate = options.chatTemplate ?? null;
  const applyChatTemplate =
    chatTemplate !== null || hasChatTemplate(tokenizer)
      ? (messages: ChatTemplateMessage[], templateOptions: { tools?: unknown[] }): number[] =>
          tokenizer.apply_chat_template(messages, {
            chat_template: chatTemplate,
            tools: templateOptions.tools ?? null,
            add_generation_prompt: false,
            tokenize: true,
            return_tensor: false,
            return_dict: false,
          })
      : null;
  return {
    encode: (text) => (text.length === 0 ? [] : tokenizer.encode(text, { add_special_tokens: false })),
    decodeTokens: (ids) => ids.map((id) => tokenizer.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false })),
    bosTokenId: optionalId(tokenizer.bos_token_id),
    eosTokenId: optionalId(tokenizer.eos_token_id),
    applyChatTemplate,
    vocabularyFingerprint: transformersVocabularyFingerprint(tokenizer),
  };
}

export type LoadTokenizerOptions = PretrainedTokenizerOptions & TransformersTokenizerOptions;

/**
 * `AutoTokenizer.from_pretrained(modelId, options)` adapted to TokenizerLike. Where the files come from
 * (the hub, `env.localModelPath`, the browser cache) is transformers.js' `env`, as set by the caller.
 */
export async function loadTokenizer(modelId: string, options: LoadTokenizerOptions = {}): Promise<TokenizerLike> {
  const { chatTemplate, ...pretrainedOptions } = options;
  const tokenizer = await AutoTokenizer.from_pretrained(modelId, pretrainedOptions);
  return fromTransformersTokenizer(tokenizer, chatTemplate === undefined ? {} : { chatTemplate });
}
