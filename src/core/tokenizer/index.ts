/** Tokenizers behind the engine's TokenizerLike: transformers.js adapter and vocabulary fingerprints. */
export { Fnv1a64, fnv1a64Hex, vocabularyFingerprint, type SpecialTokenIds } from './fingerprint';
export {
  fromTransformersTokenizer,
  loadTokenizer,
  transformersVocabularyFingerprint,
  type LoadTokenizerOptions,
  type TransformersTokenizerOptions,
} from './transformers-tokenizer';
