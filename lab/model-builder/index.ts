/**
 * GPT-2 ONNX model builder (lab and test support): graphs, quantized forms, seeded random weights and
 * the transformers.js folder layout. The weight layout and the word-level tokenizer are the demo's
 * (src/demo), the ONNX encoding the product's (src/core/onnx); they are re-exported here.
 */
export {
  GPT2_ONNX_OPSET,
  GPT2_WEIGHT_FORMATS,
  ONNX_FILE_BY_WEIGHT_FORMAT,
  buildGpt2Onnx,
  buildGpt2OnnxVariants,
  pastKeyValueName,
  presentKeyValueName,
  type Gpt2OnnxOptions,
  type Gpt2WeightFormat,
} from './gpt2-onnx';
export {
  DEFAULT_LAYER_NORM_EPSILON,
  gpt2WeightShapes,
  headDimOf,
  layerNormEpsilonOf,
  mlpDimOf,
  validateGpt2Config,
  validateGpt2Weights,
  type Gpt2Config,
  type Gpt2LayerWeights,
  type Gpt2Weights,
} from '../../src/demo/gpt2-weights';
export { mulberry32, normalSampler, randomGpt2Weights } from './random-weights';
export {
  MATMUL_NBITS_BLOCK_SIZE,
  dequantizeFourBitBlocks,
  dequantizeInt8PerChannel,
  quantizeFourBitBlocks,
  quantizeInt8PerChannel,
  dequantizeFourBitBlocksSymmetric,
  quantizeFourBitBlocksSymmetric,
  type FourBitBlockQuantized,
  type Int8PerChannel,
  type SymmetricFourBitBlocks,
} from './quantize';
export {
  PIECE_PATTERN,
  SPECIAL_TOKENS,
  SPECIAL_TOKEN_COUNT,
  SPECIAL_TOKEN_IDS,
  buildTokenizerConfigJson,
  buildWordLevelTokenizerJson,
  defaultChatTemplate,
  splitIntoPieces,
  syntheticVocabulary,
  wordLevelVocabularyFromTexts,
  type WordLevelTokenizerJson,
  type WordLevelTokenizerOptions,
} from '../../src/demo/word-level-tokenizer';
export { buildGenerationConfigJson, buildGpt2ConfigJson, modelFolderFiles, type ModelFolderSpec } from './model-folder';
export { decodeOnnxModel, encodeOnnxModel, type OnnxModel } from '../../src/core/onnx';
export {
  LLAMA_FLOPS_FORMULA,
  LLAMA_SHAPE_PRESETS,
  LLAMA_SHAPE_SIZES,
  buildLlamaConfigJson,
  llamaForwardFlops,
  llamaKvCacheBytesPerToken,
  llamaParameterCount,
  llamaWeightShapes,
  validateLlamaShapeConfig,
  type LlamaShapeConfig,
  type LlamaShapeSize,
} from './llama-shape';
export { randomLlamaWeights, type LlamaWeights } from './llama-weights';
export {
  LLAMA_ONNX_FILE_BY_FORMAT,
  LLAMA_ONNX_OPSET,
  LLAMA_WEIGHT_FORMATS,
  buildLlamaOnnx,
  llamaPastName,
  llamaPresentName,
  rotaryTables,
  type LlamaWeightFormat,
} from './llama-onnx';
export { llamaFolderMetadataFiles, llamaOnnxFile } from './llama-folder';
