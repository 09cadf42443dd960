/**
 * ONNX models written and read in TypeScript: the protobuf encoding (onnx-proto), a graph builder,
 * and tensor bytes (little-endian, float16). The engine builds its reduction graph with them; the
 * lab's GPT-2 builder (lab/model-builder) builds whole models with them.
 */
export {
  OnnxAttributeType,
  OnnxDataType,
  decodeOnnxModel,
  encodeOnnxModel,
  type OnnxAttribute,
  type OnnxDataTypeCode,
  type OnnxDimension,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxOperatorSetId,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-proto';
export {
  OnnxGraphBuilder,
  floatAttr,
  intAttr,
  intsAttr,
  stringAttr,
  valueInfo,
  type AttributeValue,
  type NodeOptions,
  type ShapeSpec,
} from './onnx-graph-builder';
export { float16BitsToNumber, float32ToFloat16Bits, littleEndianBytes, toFloat16Bits } from './tensor-bytes';
export { DEFAULT_TIES_DENSITY, MERGE_METHODS, OnnxMergeError, externalDataLocations, mergeOnnxWeights, type MergeMethod, type MergeOptions, type MergeSource, type MergedModel } from './merge';
export { mergedReferenceFolder, mergedReferenceLabel, type MergeFileReader, type MergeSide, type MergedReferenceFolder } from './merge-folder';
