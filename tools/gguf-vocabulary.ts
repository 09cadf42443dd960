/** Test support: the GGUF vocabulary of a model-builder folder's word-level tokenizer.json, for a GGUF of the same model (bench/llama-cpp.ts and the llama.cpp engine tests). */
import { SPECIAL_TOKEN_IDS } from '../lab/model-builder';
import type { Gpt2GgufVocabulary } from '../lab/model-builder/gpt2-gguf';

/** Texts by id from tokenizer.json's vocabulary and added tokens (the added tokens special), with the builder's special token ids and a BOS added. */
export function ggufVocabulary(tokenizerJson: string, vocabSize: number): Gpt2GgufVocabulary {
  const tokenizer = JSON.parse(tokenizerJson) as { model: { vocab: Record<string, number> }; added_tokens: { id: number; content: string }[] };
  const tokens = new Array<string>(vocabSize);
  for (const [text, id] of Object.entries(tokenizer.model.vocab)) tokens[id] = text;
  for (const added of tokenizer.added_tokens) tokens[added.id] = added.content;
  return {
    tokens,
    special: new Set(tokenizer.added_tokens.map((token) => token.id)),
    bosTokenId: SPECIAL_TOKEN_IDS.bos,
    eosTokenId: SPECIAL_TOKEN_IDS.eos,
    unkTokenId: SPECIAL_TOKEN_IDS.unk,
    padTokenId: SPECIAL_TOKEN_IDS.pad,
    addBos: true,
  };
}
