/**
 * The merged reference of the paper's reference-policy study (docs/eval.md §5): the weights
 *
 *     π_ref(α) = π_ref + α·(π_θ − π_ref) = (1 − α)·π_ref + α·π_θ,   0 ≤ α ≤ 1,
 *
 * computed from two ONNX files of one architecture, as the reference code's `linear` merge
 * (pa/merging.py) does with the checkpoints' state dicts. Every float initializer (float32,
 * float16, bfloat16, float64) is interpolated element by element; everything else must be equal
 * in both files and is copied from the reference, byte for byte (merge-wire.ts), so the merged
 * model is the reference's graph with new weights. Tensors kept in external data files
 * (`model.onnx_data`, as transformers.js loads them) are merged into a copy of the reference's
 * files at the same offsets.
 *
 * Refused with an OnnxMergeError naming the file and the first difference: two graphs that
 * differ (nodes, inputs, outputs, opsets, initializer names, shapes or types), and quantized
 * files (int8 / uint8 / int4 weights, MatMulNBits, DynamicQuantizeLinear, …): the merge of two
 * quantized tensors is not the quantization of the merged weights, so it cannot be exact.
 */
import { appendAll } from '../arrays';
import { MERGEABLE_TYPES, QUANTIZED_TYPES, TENSOR_DATA_FIELDS, TENSOR_FIELD, elementBytes, elementCount, floatValues, magnitudeMask, mergedElementBytes, readTensor, type TensorEntry } from './merge-tensor';
import { WireFormatError, concatBytes, fieldBytes, lengthDelimited, readFields, sameBytes, stringOf, valueOf, type WireField } from './merge-wire';

/** Operators of quantized graphs (onnxruntime's contrib ops and the ONNX quantization ops). */
const QUANTIZED_OPERATORS: ReadonlySet<string> = new Set([
  'MatMulNBits',
  'MatMulBnb4',
  'DynamicQuantizeLinear',
  'DynamicQuantizeMatMul',
  'DynamicQuantizeLSTM',
  'MatMulInteger',
  'MatMulIntegerToFloat',
  'QuantizeLinear',
  'DequantizeLinear',
  'QLinearMatMul',
  'QLinearConv',
  'QLinearAdd',
  'QLinearMul',
  'ConvInteger',
  'GatherBlockQuantized',
  'QAttention',
  'QGemm',
]);

const MODEL_FIELD = { irVersion: 1, graph: 7, opsetImport: 8, functions: 25 } as const;
const GRAPH_FIELD = { node: 1, initializer: 5, input: 11, output: 12, sparseInitializer: 15 } as const;
const NODE_FIELD = { name: 3, opType: 4 } as const;

/** One model of the merge: its ONNX bytes, its external data files by the location the model names, and how messages name it. */
export interface MergeSource {
  /** e.g. `policy onnx/model.onnx (folder /models/policy)`. */
  label: string;
  model: Uint8Array;
  externalData: ReadonlyMap<string, Uint8Array>;
}

/** The merge methods offered: `linear` (the paper's main one) and `ties` (magnitude-trimmed task vector, `density` of it kept). */
export const MERGE_METHODS = ['linear', 'ties'] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];

export interface MergeOptions {
  method: MergeMethod;
  /** `ties`: the fraction of each tensor's task-vector entries kept, 0 < density ≤ 1 (the reference code's default 0.2). */
  density?: number;
}

/** The reference code's TIES density (pa/merging.py, runners/merged_bon.py). */
export const DEFAULT_TIES_DENSITY = 0.2;

export interface MergedModel {
  /** The merged model's ONNX bytes (the reference's graph). */
  model: Uint8Array;
  /** The merged external data files, by the location the model names (empty when every tensor is inline). */
  externalData: Map<string, Uint8Array>;
  /** Float initializers interpolated, their element count, and the float types among them. */
  mergedTensors: number;
  mergedElements: number;
  floatTypes: string[];
  /** Other initializers (integer shapes, indices), equal in both, copied. */
  copiedTensors: number;
}

/** Two models that cannot be merged, or a file that cannot be read; the message names the file and the place. */
export class OnnxMergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxMergeError';
  }
}

interface ParsedModel {
  label: string;
  bytes: Uint8Array;
  fields: WireField[];
  graph: Uint8Array;
  graphFields: WireField[];
  tensors: TensorEntry[];
  externalData: ReadonlyMap<string, Uint8Array>;
}

function parseModel(source: MergeSource): ParsedModel {
  try {
    const fields = readFields(source.model);
    const graphField = fields.find((field) => field.number === MODEL_FIELD.graph);
    if (!graphField) throw new OnnxMergeError(`${source.label}: no graph (not an ONNX model?)`);
    const graph = valueOf(source.model, graphField);
    const graphFields = readFields(graph);
    const tensors = graphFields.filter((field) => field.number === GRAPH_FIELD.initializer).map((field) => readTensor(valueOf(graph, field)));
    return { label: source.label, bytes: source.model, fields, graph, graphFields, tensors, externalData: source.externalData };
  } catch (error) {
    if (error instanceof WireFormatError) throw new OnnxMergeError(`${source.label}: cannot be read as ONNX: ${error.message}`);
    throw error;
  }
}

/** The locations of the external data files a model's initializers name (read them beside the model before merging). */
export function externalDataLocations(model: Uint8Array): string[] {
  const parsed = parseModel({ label: 'model', model, externalData: new Map() });
  return [...new Set(parsed.tensors.flatMap((tensor) => (tensor.external ? [tensor.external.location] : [])))];
}

function nodeLabel(graph: Uint8Array, field: WireField): string {
  const node = valueOf(graph, field);
  const fields = readFields(node);
  const name = fields.find((f) => f.number === NODE_FIELD.name);
  const op = fields.find((f) => f.number === NODE_FIELD.opType);
  return `${op ? stringOf(node, op) : '?'}${name ? ` "${stringOf(node, name)}"` : ''}`;
}

/** Says why a model's weights are quantized, or null. */
function quantizationOf(model: ParsedModel): string | null {
  for (const field of model.graphFields) {
    if (field.number !== GRAPH_FIELD.node) continue;
    const label = nodeLabel(model.graph, field);
    if (QUANTIZED_OPERATORS.has(label.split(' ')[0])) return `node ${label} is a quantized operator`;
  }
  const tensor = model.tensors.find((entry) => QUANTIZED_TYPES.has(entry.dataType));
  return tensor ? `initializer "${tensor.name}" is ${QUANTIZED_TYPES.get(tensor.dataType)}` : null;
}

function fieldsNumbered(model: ParsedModel, number: number): WireField[] {
  return model.graphFields.filter((field) => field.number === number);
}

/** Throws an OnnxMergeError at the first structural difference between the two graphs. */
function checkSameArchitecture(reference: ParsedModel, policy: ParsedModel): void {
  const differ = (what: string) => new OnnxMergeError(`the two models are not one architecture (${what}): ${reference.label} and ${policy.label} cannot be merged`);
  for (const [number, what] of [
    [MODEL_FIELD.irVersion, 'IR version'],
    [MODEL_FIELD.opsetImport, 'operator set imports'],
    [MODEL_FIELD.functions, 'model functions'],
  ] as const) {
    const ours = reference.fields.filter((field) => field.number === number).map((field) => fieldBytes(reference.bytes, field));
    const theirs = policy.fields.filter((field) => field.number === number).map((field) => fieldBytes(policy.bytes, field));
    if (ours.length !== theirs.length || ours.some((bytes, index) => !sameBytes(bytes, theirs[index]))) throw differ(`their ${what} differ`);
  }
  if (fieldsNumbered(reference, GRAPH_FIELD.sparseInitializer).length + fieldsNumbered(policy, GRAPH_FIELD.sparseInitializer).length > 0) {
    throw new OnnxMergeError(`${reference.label}: sparse initializers are not merged (only dense float initializers are)`);
  }
  for (const [number, what] of [
    [GRAPH_FIELD.input, 'graph input'],
    [GRAPH_FIELD.output, 'graph output'],
    [GRAPH_FIELD.node, 'node'],
  ] as const) {
    const ours = fieldsNumbered(reference, number);
    const theirs = fieldsNumbered(policy, number);
    const label = (model: ParsedModel, field: WireField) =>
      number === GRAPH_FIELD.node ? nodeLabel(model.graph, field) : `"${stringOf(valueOf(model.graph, field), readFields(valueOf(model.graph, field)).find((f) => f.number === 1)!)}"`;
    for (let index = 0; index < Math.min(ours.length, theirs.length); index++) {
      if (sameBytes(fieldBytes(reference.graph, ours[index]), fieldBytes(policy.graph, theirs[index]))) continue;
      const left = label(reference, ours[index]);
      const right = label(policy, theirs[index]);
      throw differ(`${what} ${index}: the reference has ${left}, the policy ${left === right ? 'has it with other inputs, outputs or attributes' : `has ${right}`}`);
    }
    if (ours.length !== theirs.length) throw differ(`the reference has ${ours.length} ${what}s, the policy ${theirs.length}`);
  }
  const policyByName = new Map(policy.tensors.map((tensor) => [tensor.name, tensor]));
  const referenceNames = new Set(reference.tensors.map((tensor) => tensor.name));
  for (const tensor of reference.tensors) {
    const other = policyByName.get(tensor.name);
    if (!other) throw differ(`initializer "${tensor.name}" is in the reference only`);
    if (other.dataType !== tensor.dataType) throw differ(`initializer "${tensor.name}" has type ${tensor.dataType} in the reference, ${other.dataType} in the policy (ONNX type codes)`);
    if (other.dims.join(',') !== tensor.dims.join(',')) throw differ(`initializer "${tensor.name}" has shape [${tensor.dims.join(', ')}] in the reference, [${other.dims.join(', ')}] in the policy`);
  }
  const extra = policy.tensors.find((tensor) => !referenceNames.has(tensor.name));
  if (extra) throw differ(`initializer "${extra.name}" is in the policy only`);
}

/**
 * A tensor's element bytes, with errors that name the model and the initializer. A tensor that is
 * not merged and keeps its elements in typed fields (int64_data, …) is compared by those fields' bytes.
 */
function tensorBytes(model: ParsedModel, tensor: TensorEntry): Uint8Array {
  const typed = !tensor.external && !tensor.fields.some((field) => field.number === TENSOR_FIELD.rawData);
  if (typed && !MERGEABLE_TYPES.has(tensor.dataType)) {
    return concatBytes(tensor.fields.filter((field) => TENSOR_DATA_FIELDS.has(field.number)).map((field) => fieldBytes(tensor.bytes, field)));
  }
  try {
    return elementBytes(tensor, model.externalData, `initializer "${tensor.name}"`);
  } catch (error) {
    if (error instanceof WireFormatError) throw new OnnxMergeError(`${model.label}: ${error.message}`);
    throw error;
  }
}

function checkAlpha(alpha: number, options: MergeOptions): void {
  if (!Number.isFinite(alpha) || alpha < 0 || alpha > 1) throw new RangeError(`the merge weight α must be a number from 0 to 1, got ${alpha}`);
  const density = options.density ?? DEFAULT_TIES_DENSITY;
  if (options.method === 'ties' && !(density > 0 && density <= 1)) throw new RangeError(`the TIES density must be a number above 0 and at most 1, got ${density}`);
}

/**
 * The reference merged toward the policy by α in weight space. `linear` (default): α = 0 gives the
 * reference's weights, α = 1 the policy's, exactly. `ties`: only the largest `density` of each
 * tensor's task vector (policy − reference) moves; the rest stays the reference's.
 */
export function mergeOnnxWeights(reference: MergeSource, policy: MergeSource, alpha: number, options: MergeOptions = { method: 'linear' }): MergedModel {
  checkAlpha(alpha, options);
  const ours = parseModel(reference);
  const theirs = parseModel(policy);
  for (const model of [ours, theirs]) {
    const quantized = quantizationOf(model);
    if (quantized) {
      throw new OnnxMergeError(
        `${model.label} is quantized (${quantized}): quantized weights cannot be merged exactly (interpolating two quantized tensors is not the quantization of the interpolated weights); merge the fp32 or fp16 files`,
      );
    }
  }
  checkSameArchitecture(ours, theirs);

  const policyByName = new Map(theirs.tensors.map((tensor) => [tensor.name, tensor]));
  const externalData = new Map([...ours.externalData].map(([location, bytes]) => [location, bytes.slice()]));
  const floatTypes = new Set<string>();
  let mergedTensors = 0;
  let mergedElements = 0;
  let copiedTensors = 0;
  const graphParts: Uint8Array[] = [];
  let tensorIndex = 0;
  for (const field of ours.graphFields) {
    if (field.number !== GRAPH_FIELD.initializer) {
      graphParts.push(fieldBytes(ours.graph, field));
      continue;
    }
    const tensor = ours.tensors[tensorIndex++];
    const other = policyByName.get(tensor.name)!;
    const referenceBytes = tensorBytes(ours, tensor);
    const policyBytes = tensorBytes(theirs, other);
    const typeName = MERGEABLE_TYPES.get(tensor.dataType);
    if (typeName === undefined) {
      // Shapes, indices, masks: part of the architecture, equal in both.
      if (!sameBytes(referenceBytes, policyBytes)) {
        throw new OnnxMergeError(`initializer "${tensor.name}" (ONNX type ${tensor.dataType}, not a float) differs between ${ours.label} and ${theirs.label}: only float weights are merged`);
      }
      copiedTensors++;
      graphParts.push(fieldBytes(ours.graph, field));
      continue;
    }
    const count = elementCount(tensor.dims);
    const where = (model: ParsedModel) => `${model.label}: initializer "${tensor.name}"`;
    let merged: Uint8Array;
    try {
      const referenceValues = floatValues(tensor.dataType, referenceBytes, count, where(ours));
      const policyValues = floatValues(tensor.dataType, policyBytes, count, where(theirs));
      const mask = options.method === 'ties' ? magnitudeMask(referenceValues, policyValues, options.density ?? DEFAULT_TIES_DENSITY) : null;
      merged = mergedElementBytes(tensor.dataType, referenceValues, policyValues, alpha, mask);
    } catch (error) {
      if (error instanceof WireFormatError) throw new OnnxMergeError(error.message);
      throw error;
    }
    mergedTensors++;
    mergedElements += count;
    floatTypes.add(typeName);
    if (tensor.external) {
      // Same place in the reference's file: the tensor's proto stays as it is.
      externalData.get(tensor.external.location)!.set(merged, tensor.external.offset);
      graphParts.push(fieldBytes(ours.graph, field));
    } else {
      const kept = tensor.fields.filter((f) => !TENSOR_DATA_FIELDS.has(f.number)).map((f) => fieldBytes(tensor.bytes, f));
      appendAll(graphParts, lengthDelimited(GRAPH_FIELD.initializer, concatBytes([...kept, ...lengthDelimited(TENSOR_FIELD.rawData, merged)])));
    }
  }
  const graph = concatBytes(graphParts);
  const modelParts = ours.fields.flatMap((field) => (field.number === MODEL_FIELD.graph ? lengthDelimited(MODEL_FIELD.graph, graph) : [fieldBytes(ours.bytes, field)]));
  return { model: concatBytes(modelParts), externalData, mergedTensors, mergedElements, floatTypes: [...floatTypes], copiedTensors };
}
