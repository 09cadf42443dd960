/**
 * A small GGUF (version 3) writer: metadata key/values and f32 tensors, as llama.cpp reads them
 * (ggml's `gguf.cpp`; the layout is documented in ggml's docs/gguf.md). Enough to hand llama.cpp
 * the project's own models; quantized tensor types are not written.
 *
 * Layout: magic "GGUF", version, tensor count, key/value count, the key/values, the tensor infos
 * (name, dims innermost first, type, offset into the data section), padding to the alignment,
 * then each tensor's data, each starting at a multiple of the alignment.
 */

/** The metadata value types of GGUF v3 (`gguf_type`). */
const GGUF_TYPE = { uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9 } as const;
/** ggml's tensor type id of f32. */
const GGML_TYPE_F32 = 0;
export const GGUF_DEFAULT_ALIGNMENT = 32;

export type GgufValue =
  | { type: 'uint32'; value: number }
  | { type: 'int32'; value: number }
  | { type: 'float32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'int32[]'; value: readonly number[] };

export interface GgufTensor {
  name: string;
  /** ggml's order: ne0 (the contiguous dimension) first. A row-major [rows, cols] matrix is [cols, rows]. */
  dims: readonly number[];
  data: Float32Array;
}

/** Bytes appended to a growing buffer, little-endian. */
class ByteSink {
  private bytes = new Uint8Array(1 << 16);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }
  i32(value: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, value, true);
    this.length += 4;
  }
  f32(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
  }
  u64(value: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
  }
  u8(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }
  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }
  /** GGUF string: u64 byte length, then UTF-8 without a terminator. */
  string(text: string): void {
    const encoded = new TextEncoder().encode(text);
    this.u64(encoded.length);
    this.raw(encoded);
  }
  padTo(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  switch (value.type) {
    case 'uint32':
      sink.u32(GGUF_TYPE.uint32);
      return sink.u32(value.value);
    case 'int32':
      sink.u32(GGUF_TYPE.int32);
      return sink.i32(value.value);
    case 'float32':
      sink.u32(GGUF_TYPE.float32);
      return sink.f32(value.value);
    case 'bool':
      sink.u32(GGUF_TYPE.bool);
      return sink.u8(value.value ? 1 : 0);
    case 'string':
      sink.u32(GGUF_TYPE.string);
      return sink.string(value.value);
    case 'string[]':
      sink.u32(GGUF_TYPE.array);
      sink.u32(GGUF_TYPE.string);
      sink.u64(value.value.length);
      for (const item of value.value) sink.string(item);
      return;
    case 'int32[]':
      sink.u32(GGUF_TYPE.array);
      sink.u32(GGUF_TYPE.int32);
      sink.u64(value.value.length);
      for (const item of value.value) sink.i32(item);
      return;
  }
}

/** The GGUF file holding `metadata` (in order) and `tensors` (f32). */
export function encodeGguf(metadata: ReadonlyArray<readonly [string, GgufValue]>, tensors: readonly GgufTensor[], alignment = GGUF_DEFAULT_ALIGNMENT): Uint8Array {
  const names = new Set<string>();
  for (const tensor of tensors) {
    if (names.has(tensor.name)) throw new Error(`GGUF: tensor ${tensor.name} given twice`);
    names.add(tensor.name);
    const elements = tensor.dims.reduce((product, dim) => product * dim, 1);
    if (elements !== tensor.data.length) throw new Error(`GGUF: tensor ${tensor.name} has ${tensor.data.length} values but dims [${tensor.dims.join(', ')}] hold ${elements}`);
  }
  const sink = new ByteSink();
  sink.raw(new TextEncoder().encode('GGUF'));
  sink.u32(3);
  sink.u64(tensors.length);
  const withAlignment: Array<readonly [string, GgufValue]> = alignment === GGUF_DEFAULT_ALIGNMENT ? [...metadata] : [...metadata, ['general.alignment', { type: 'uint32', value: alignment }]];
  sink.u64(withAlignment.length);
  for (const [key, value] of withAlignment) {
    sink.string(key);
    writeValue(sink, value);
  }
  let offset = 0;
  for (const tensor of tensors) {
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const dim of tensor.dims) sink.u64(dim);
    sink.u32(GGML_TYPE_F32);
    sink.u64(offset);
    offset += Math.ceil(tensor.data.byteLength / alignment) * alignment;
  }
  sink.padTo(alignment);
  for (const tensor of tensors) {
    // Float32Array bytes are the host's order; every host this runs on (x64, arm64) is little-endian, as GGUF is.
    sink.raw(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    sink.padTo(alignment);
  }
  return sink.result();
}
