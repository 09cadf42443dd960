/**
 * Variants of a float32 ONNX decoder written in TypeScript (the pack has no fp16 files, and there
 * is no Python here): an fp16 model as `model.half()` exports it, and a tied LM head written as
 * `Gemm(h, E, transB=1)`. Used by the engine tests and bench/dtype-accuracy.ts; the files they write
 * go to a temp folder, never into the repository.
 */
import {
  OnnxDataType,
  decodeOnnxModel,
  encodeOnnxModel,
  float32ToFloat16Bits,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from '../src/core/onnx';

const FLOAT = OnnxDataType.FLOAT;
const FLOAT16 = OnnxDataType.FLOAT16;
const BOOL = OnnxDataType.BOOL;
const INT64 = OnnxDataType.INT64;
const FLOAT16_MAX = 65504;
const COMPARISONS = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Not', 'Xor', 'IsNaN', 'IsInf']);
/** Ops whose later inputs are indices, shapes or axes: only input 0 carries the element type. */
const DATA_FIRST = new Set(['Gather', 'GatherElements', 'Expand', 'Reshape', 'Slice', 'Unsqueeze', 'Squeeze', 'Transpose', 'Flatten', 'Tile', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'Trilu', 'Split', 'Pad', 'TopK', 'CumSum']);

type Graph = OnnxGraph & { value_info?: unknown[] };

const isFloat = (type: number | undefined) => type === FLOAT || type === FLOAT16;

function float32Values(tensor: OnnxTensor & { float_data?: number[] }): Float32Array {
  if (tensor.raw_data && tensor.raw_data.byteLength > 0) {
    const copy = tensor.raw_data.slice();
    return new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
  }
  return Float32Array.from(tensor.float_data ?? []);
}

/** The tensor's float32 values as float16 (clamped to ±65504: −3.4e38 mask constants stay finite). */
function toFloat16Tensor(tensor: OnnxTensor & { float_data?: number[] }): void {
  const values = float32Values(tensor);
  const bits = new Uint16Array(values.length);
  for (let index = 0; index < values.length; index++) bits[index] = float32ToFloat16Bits(Math.max(-FLOAT16_MAX, Math.min(FLOAT16_MAX, values[index])));
  tensor.raw_data = new Uint8Array(bits.buffer);
  tensor.float_data = [];
  tensor.data_type = FLOAT16;
}

/**
 * The float16 model `model.half()` gives: weights, activations, the KV cache and the logits in
 * float16, while computations the float32 graph starts from integers (rotary angles from position
 * ids, the attention mask) stay float32 and are cast down where they meet float16 values — the
 * Casts a traced fp16 export has. Float constants take the type of what they are combined with.
 */
export function toFloat16Model(modelBytes: Uint8Array): Uint8Array {
  const model = decodeOnnxModel(modelBytes);
  const graph = model.graph as Graph;
  const types = new Map<string, number>();
  /** Float constants (initializers, Constant nodes) whose type is decided by their first use. */
  const flexible = new Map<string, OnnxTensor>();
  for (const tensor of graph.initializer) {
    if (tensor.data_type === FLOAT) flexible.set(tensor.name, tensor);
    else types.set(tensor.name, tensor.data_type);
  }
  for (const input of graph.input) {
    const tensorType = input.type.tensor_type;
    if (tensorType.elem_type === FLOAT) tensorType.elem_type = FLOAT16;
    types.set(input.name, tensorType.elem_type);
  }
  const nodes: OnnxNode[] = [];
  const casts = new Map<string, string>();
  const castTo = (name: string, to: number): string => {
    const key = `${name}→${to}`;
    let output = casts.get(key);
    if (output === undefined) {
      output = `${name}/as_${to === FLOAT16 ? 'fp16' : 'fp32'}`;
      nodes.push({ name: `${output}/cast`, op_type: 'Cast', input: [name], output: [output], attribute: [{ name: 'to', type: 2, i: to }] });
      types.set(output, to);
      casts.set(key, output);
    }
    return output;
  };
  const settle = (name: string, to: number) => {
    const tensor = flexible.get(name);
    if (!tensor) return;
    flexible.delete(name);
    if (to === FLOAT16) toFloat16Tensor(tensor);
    types.set(name, to);
  };

  for (const node of graph.node) {
    const op = node.op_type;
    if (op === 'Constant') {
      const value = node.attribute.find((attribute) => attribute.name === 'value')?.t;
      if (value && value.data_type === FLOAT) flexible.set(node.output[0], value);
      else types.set(node.output[0], value?.data_type ?? FLOAT);
      nodes.push(node);
      continue;
    }
    const slots = op === 'Where' ? [1, 2] : DATA_FIRST.has(op) ? [0] : op === 'Cast' || op === 'Shape' || op === 'Size' || op === 'ConstantOfShape' ? [] : node.input.map((_, slot) => slot);
    const floatSlots = slots.filter((slot) => node.input[slot] && (flexible.has(node.input[slot]) || isFloat(types.get(node.input[slot]))));
    const concrete = floatSlots.map((slot) => types.get(node.input[slot])).filter((type) => type !== undefined);
    const target = concrete.includes(FLOAT16) || concrete.length === 0 ? FLOAT16 : FLOAT;
    for (const slot of floatSlots) {
      const name = node.input[slot];
      if (flexible.has(name)) settle(name, target);
      else if (types.get(name) !== target) node.input[slot] = castTo(name, target);
    }
    let outputType: number;
    if (op === 'Cast') {
      const to = node.attribute.find((attribute) => attribute.name === 'to') as OnnxAttribute;
      const source = node.input[0];
      if (flexible.has(source)) settle(source, FLOAT16);
      // A float → float Cast is a no-op of the float32 graph (RMSNorm's up- and down-casts): it stays one.
      if (to.i === FLOAT && isFloat(types.get(source))) to.i = types.get(source);
      outputType = to.i ?? FLOAT;
    } else if (op === 'Shape' || op === 'Size') outputType = INT64;
    else if (COMPARISONS.has(op)) outputType = BOOL;
    else if (op === 'ConstantOfShape') {
      const value = node.attribute.find((attribute) => attribute.name === 'value')?.t;
      if (value && value.data_type === FLOAT) toFloat16Tensor(value);
      outputType = value?.data_type ?? FLOAT16;
    } else if (floatSlots.length > 0) outputType = target;
    else outputType = types.get(node.input[0]) ?? FLOAT16;
    node.output.forEach((output, index) => types.set(output, op === 'TopK' && index === 1 ? INT64 : outputType));
    nodes.push(node);
  }
  for (const name of [...flexible.keys()]) settle(name, FLOAT16);
  for (const output of graph.output) {
    const type = types.get(output.name);
    if (type !== undefined) output.type.tensor_type.elem_type = type as typeof FLOAT;
  }
  graph.node = nodes;
  graph.value_info = [];
  return encodeOnnxModel(model);
}

/**
 * The float32 model with its tied head `MatMul(h, Transpose(E))` rewritten as optimum writes a
 * Gemm head: `Reshape(Gemm(Reshape(h, [−1, d]), E, transB = 1), [1, −1, V])`.
 */
export function withGemmHead(modelBytes: Uint8Array): Uint8Array {
  const model: OnnxModel = decodeOnnxModel(modelBytes);
  const graph = model.graph;
  const head = graph.node.find((node) => node.output.includes('logits'));
  const transpose = graph.node.find((node) => node.op_type === 'Transpose' && node.output[0] === head?.input[1]);
  const table = graph.initializer.find((tensor) => tensor.name === transpose?.input[0]);
  if (!head || head.op_type !== 'MatMul' || !transpose || !table) throw new Error('withGemmHead: the head is not MatMul(h, Transpose(embedding table))');
  const [vocabSize, width] = table.dims;
  const int64 = (name: string, values: number[]): OnnxTensor => ({ name, dims: [values.length], data_type: INT64, raw_data: new Uint8Array(BigInt64Array.from(values, BigInt).buffer) });
  graph.initializer.push(int64('gemm_head/rows_shape', [-1, width]), int64('gemm_head/logits_shape', [1, -1, vocabSize]));
  const index = graph.node.indexOf(head);
  graph.node.splice(
    index,
    1,
    { name: 'gemm_head/rows', op_type: 'Reshape', input: [head.input[0], 'gemm_head/rows_shape'], output: ['gemm_head/rows'], attribute: [] },
    { name: 'gemm_head/gemm', op_type: 'Gemm', input: ['gemm_head/rows', table.name], output: ['gemm_head/logits_2d'], attribute: [{ name: 'transB', type: 2, i: 1 }] },
    { name: 'gemm_head/logits', op_type: 'Reshape', input: ['gemm_head/logits_2d', 'gemm_head/logits_shape'], output: ['logits'], attribute: [] },
  );
  // The table's transposed copy is read by nothing now.
  graph.node = graph.node.filter((node) => node !== transpose || graph.node.some((other) => other.input.includes(transpose.output[0])));
  return encodeOnnxModel(model);
}

/**
 * The model with its float16 `logits` output cast to float32 inside the graph: onnxruntime then
 * drops the head's rounding to float16 (its CPU kernels compute in float32 and a Cast pair is
 * removed), as it does in the engine's fused graph, where the logits are an intermediate.
 */
export function withFloat32Logits(modelBytes: Uint8Array): Uint8Array {
  const model: OnnxModel = decodeOnnxModel(modelBytes);
  const graph = model.graph;
  const head = graph.node.find((node) => node.output.includes('logits'));
  const output = graph.output.find((value) => value.name === 'logits');
  if (!head || !output) throw new Error('withFloat32Logits: no node writes "logits"');
  head.output = head.output.map((name) => (name === 'logits' ? 'logits/fp16' : name));
  graph.node.push({ name: 'logits/cast', op_type: 'Cast', input: ['logits/fp16'], output: ['logits'], attribute: [{ name: 'to', type: 2, i: FLOAT }] });
  output.type.tensor_type.elem_type = FLOAT;
  return encodeOnnxModel(model);
}
