/** Model pairs: the presets the CLI and the app offer, and whether a pair's tokenizers allow token-level scores. */
export { MODEL_PRESETS, PRESET_DTYPES, describePreset, findPreset, presetSizes, isPresetDtype, type ModelPreset, type PresetDtype } from './presets';
export {
  TOKENIZATION_PROBES,
  pairTokenizers,
  transformersTokenizerIdentity,
  vocabularyOnlyFingerprint,
  type TokenizerIdentity,
  type TokenizerPairing,
} from './tokenizer-pairing';
