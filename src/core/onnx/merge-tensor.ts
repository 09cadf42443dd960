/**
 * One initializer (TensorProto) for the weight merge: its name, type, shape and where its
 * elements are (raw_data, the typed repeated fields, or an external data file), its float values
 * read out, and merged values written back in its own type.
 */
import { float16BitsToNumber, float32ToFloat16Bits } from './tensor-bytes';
import { WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WireFormatError, readFields, repeatedVarints, stringOf, valueOf, varintOf, type WireField } from './merge-wire';

/** TensorProto.DataType codes the merge reads (onnx.proto). */
export const TENSOR_TYPE = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
  UINT4: 21,
  INT4: 22,
} as const;

/** The float types whose elements are merged; every other initializer must be equal in both models. */
export const MERGEABLE_TYPES: ReadonlyMap<number, string> = new Map([
  [TENSOR_TYPE.FLOAT, 'float32'],
  [TENSOR_TYPE.FLOAT16, 'float16'],
  [TENSOR_TYPE.BFLOAT16, 'bfloat16'],
  [TENSOR_TYPE.DOUBLE, 'float64'],
]);

/** Types that only quantized weights use: such a model cannot be merged exactly. */
export const QUANTIZED_TYPES: ReadonlyMap<number, string> = new Map([
  [TENSOR_TYPE.UINT8, 'uint8'],
  [TENSOR_TYPE.INT8, 'int8'],
  [17, 'float8e4m3fn'],
  [18, 'float8e4m3fnuz'],
  [19, 'float8e5m2'],
  [20, 'float8e5m2fnuz'],
  [TENSOR_TYPE.UINT4, 'uint4'],
  [TENSOR_TYPE.INT4, 'int4'],
  [23, 'float4e2m1'],
]);

const BYTES_PER_ELEMENT: ReadonlyMap<number, number> = new Map([
  [TENSOR_TYPE.FLOAT, 4],
  [TENSOR_TYPE.FLOAT16, 2],
  [TENSOR_TYPE.BFLOAT16, 2],
  [TENSOR_TYPE.DOUBLE, 8],
]);

/** TensorProto field numbers. */
export const TENSOR_FIELD = { dims: 1, dataType: 2, floatData: 4, int32Data: 5, stringData: 6, int64Data: 7, name: 8, rawData: 9, doubleData: 10, uint64Data: 11, externalData: 13, dataLocation: 14 } as const;

/** The fields that hold a tensor's elements (replaced when merged values are written inline). */
export const TENSOR_DATA_FIELDS: ReadonlySet<number> = new Set([
  TENSOR_FIELD.floatData,
  TENSOR_FIELD.int32Data,
  TENSOR_FIELD.stringData,
  TENSOR_FIELD.int64Data,
  TENSOR_FIELD.rawData,
  TENSOR_FIELD.doubleData,
  TENSOR_FIELD.uint64Data,
]);

/** Where an external tensor's bytes are: a file beside the model, an offset and a length. */
export interface ExternalPlace {
  location: string;
  offset: number;
  /** null: to the end of the file. */
  length: number | null;
}

export interface TensorEntry {
  name: string;
  dataType: number;
  dims: number[];
  /** The TensorProto's bytes and fields. */
  bytes: Uint8Array;
  fields: WireField[];
  external: ExternalPlace | null;
}

export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const dim of dims) count *= dim;
  return count;
}

function readExternal(bytes: Uint8Array, fields: readonly WireField[]): ExternalPlace | null {
  const located = fields.find((field) => field.number === TENSOR_FIELD.dataLocation);
  if (!located || varintOf(bytes, located) !== 1) return null;
  const entries = new Map<string, string>();
  for (const field of fields) {
    if (field.number !== TENSOR_FIELD.externalData) continue;
    const entry = valueOf(bytes, field);
    const parts = readFields(entry);
    const key = parts.find((part) => part.number === 1);
    const value = parts.find((part) => part.number === 2);
    if (key && value) entries.set(stringOf(entry, key), stringOf(entry, value));
  }
  const location = entries.get('location');
  if (location === undefined) throw new WireFormatError('external data without a location');
  return { location, offset: Number(entries.get('offset') ?? 0), length: entries.has('length') ? Number(entries.get('length')) : null };
}

export function readTensor(bytes: Uint8Array): TensorEntry {
  const fields = readFields(bytes);
  const nameField = fields.find((field) => field.number === TENSOR_FIELD.name);
  const typeField = fields.find((field) => field.number === TENSOR_FIELD.dataType);
  return {
    name: nameField ? stringOf(bytes, nameField) : '',
    dataType: typeField ? varintOf(bytes, typeField) : 0,
    dims: repeatedVarints(
      bytes,
      fields.filter((field) => field.number === TENSOR_FIELD.dims),
    ),
    bytes,
    fields,
    external: readExternal(bytes, fields),
  };
}

/** The little-endian element bytes of a tensor of fixed-size elements, wherever it keeps them. */
export function elementBytes(tensor: TensorEntry, externalFiles: ReadonlyMap<string, Uint8Array>, where: string): Uint8Array {
  const size = BYTES_PER_ELEMENT.get(tensor.dataType);
  const count = elementCount(tensor.dims);
  if (tensor.external) {
    const file = externalFiles.get(tensor.external.location);
    if (!file) throw new WireFormatError(`${where}: its data is in the external file ${tensor.external.location}, which was not found beside the model`);
    const end = tensor.external.length === null ? file.length : tensor.external.offset + tensor.external.length;
    if (end > file.length) throw new WireFormatError(`${where}: its data runs past the end of ${tensor.external.location} (bytes ${tensor.external.offset}–${end} of ${file.length})`);
    return file.subarray(tensor.external.offset, end);
  }
  const raw = tensor.fields.find((field) => field.number === TENSOR_FIELD.rawData);
  if (raw) return valueOf(tensor.bytes, raw);
  if (size === undefined) throw new WireFormatError(`${where}: elements kept in typed fields are read for float tensors only`);
  // Typed repeated fields: float_data (float32), int32_data (float16 / bfloat16 bits), double_data.
  const out = new Uint8Array(count * size);
  const view = new DataView(out.buffer);
  if (tensor.dataType === TENSOR_TYPE.FLOAT || tensor.dataType === TENSOR_TYPE.DOUBLE) {
    const fieldNumber = tensor.dataType === TENSOR_TYPE.FLOAT ? TENSOR_FIELD.floatData : TENSOR_FIELD.doubleData;
    let offset = 0;
    for (const field of tensor.fields) {
      if (field.number !== fieldNumber) continue;
      const packed = field.wireType === WIRE_BYTES;
      const expected = size === 4 ? WIRE_FIXED32 : WIRE_FIXED64;
      if (!packed && field.wireType !== expected) throw new WireFormatError(`${where}: unexpected wire type in its elements`);
      const value = packed ? valueOf(tensor.bytes, field) : tensor.bytes.subarray(field.valueStart, field.end);
      out.set(value.subarray(0, Math.min(value.length, out.length - offset)), offset);
      offset += value.length;
    }
  } else {
    const words = repeatedVarints(
      tensor.bytes,
      tensor.fields.filter((field) => field.number === TENSOR_FIELD.int32Data),
    );
    words.slice(0, count).forEach((word, index) => view.setUint16(index * 2, word, true));
  }
  return out;
}

function bfloat16BitsToNumber(bits: number): number {
  return new Float32Array(new Uint32Array([bits << 16]).buffer)[0];
}

const float32Scratch = new Float32Array(1);
const uint32Scratch = new Uint32Array(float32Scratch.buffer);

/** bfloat16 bits of a number: rounded to float32, then to the nearest bfloat16 (ties to even). */
function numberToBfloat16Bits(value: number): number {
  float32Scratch[0] = value;
  const bits = uint32Scratch[0];
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return (bits >>> 16) | 0x40; // NaN stays NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The tensor's elements as numbers (every float16, bfloat16 and float32 value is exact in float32). */
export function floatValues(dataType: number, bytes: Uint8Array, count: number, where: string): Float32Array | Float64Array {
  const size = BYTES_PER_ELEMENT.get(dataType)!;
  if (bytes.length !== count * size) throw new WireFormatError(`${where}: holds ${bytes.length} bytes, its shape needs ${count * size}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = dataType === TENSOR_TYPE.DOUBLE ? new Float64Array(count) : new Float32Array(count);
  for (let index = 0; index < count; index++) {
    if (dataType === TENSOR_TYPE.FLOAT) values[index] = view.getFloat32(index * 4, true);
    else if (dataType === TENSOR_TYPE.DOUBLE) values[index] = view.getFloat64(index * 8, true);
    else if (dataType === TENSOR_TYPE.FLOAT16) values[index] = float16BitsToNumber(view.getUint16(index * 2, true));
    else values[index] = bfloat16BitsToNumber(view.getUint16(index * 2, true));
  }
  return values;
}

/**
 * The task vector's entries TIES keeps (mergekit's magnitude sparsification, as pa/merging.py):
 * those whose |policy − reference| is at least the k-th largest, k = max(1, ⌊density·n⌋); null
 * keeps all (density ≥ 1). With one (policy, reference) pair, TIES' sign election and its
 * normalisation change nothing, so this trim is the whole of it.
 */
export function magnitudeMask(reference: Float32Array | Float64Array, policy: Float32Array | Float64Array, density: number): Uint8Array | null {
  const count = reference.length;
  const kept = Math.max(1, Math.floor(density * count));
  if (density >= 1 || kept >= count) return null;
  const magnitudes = new Float64Array(count);
  for (let index = 0; index < count; index++) magnitudes[index] = Math.abs(policy[index] - reference[index]);
  const threshold = magnitudes.slice().sort()[count - kept];
  const mask = new Uint8Array(count);
  for (let index = 0; index < count; index++) mask[index] = magnitudes[index] >= threshold ? 1 : 0;
  return mask;
}

/**
 * The merged tensor element by element, in the tensor's own type, as little-endian bytes:
 * (1 − α)·reference + α·policy (linear), or reference + α·(policy − reference) where `mask` keeps
 * the entry and the reference where it does not (TIES). The arithmetic is done in double precision
 * on the exact values and rounded once to float32 (float32 tensors) or to float32 and then to the
 * file's float16 / bfloat16; the linear form gives the reference exactly at α = 0 and the policy
 * exactly at α = 1.
 */
export function mergedElementBytes(dataType: number, reference: Float32Array | Float64Array, policy: Float32Array | Float64Array, alpha: number, mask: Uint8Array | null = null): Uint8Array {
  const count = reference.length;
  const size = BYTES_PER_ELEMENT.get(dataType)!;
  const out = new Uint8Array(count * size);
  const view = new DataView(out.buffer);
  const keep = 1 - alpha;
  for (let index = 0; index < count; index++) {
    const value = mask === null ? keep * reference[index] + alpha * policy[index] : mask[index] === 1 ? reference[index] + alpha * (policy[index] - reference[index]) : reference[index];
    if (dataType === TENSOR_TYPE.FLOAT) view.setFloat32(index * 4, value, true);
    else if (dataType === TENSOR_TYPE.DOUBLE) view.setFloat64(index * 8, value, true);
    else if (dataType === TENSOR_TYPE.FLOAT16) view.setUint16(index * 2, float32ToFloat16Bits(value), true);
    else view.setUint16(index * 2, numberToBfloat16Bits(value), true);
  }
  return out;
}
