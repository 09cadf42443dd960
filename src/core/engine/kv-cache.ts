/**
 * The KV cache an engine carries from one chunk to the next, in one of two forms:
 *
 *  - `PresentTensorCache`: the model's `present.*` outputs become the next chunk's `past_*`
 *    inputs as they are. On WebGPU they stay GPU buffers; on a CPU runtime each run hands the
 *    whole cache back as new arrays (and the runtime holds its own copy while it does), so at a
 *    chunk boundary a long trajectory's cache exists two or three times.
 *  - `AppendOnlyCache`: the model graph also outputs just the positions a run added
 *    (`newCacheRowsName`, see reduction.ts) and the engine appends them to one buffer per cache
 *    tensor that it sizes once for the whole sequence. The past inputs are views of those
 *    buffers (no copy in onnxruntime-node), and only the new rows cross from the runtime.
 */
import { newCacheRowsName } from './reduction';
import { disposeTensors, typedArrayFor, type OrtTensor, type OrtTensorConstructor, type OrtTensorData, type OrtTensorType, type OrtValueMetadata } from './ort-types';

/** A cache input and the output that holds its next value (past_key_values.0.key ↔ present.0.key). */
export interface CacheLink {
  past: OrtValueMetadata;
  present: string;
  /** The axis of the past/present tensor that runs over token positions. */
  sequenceAxis: number;
}

export interface KvCache {
  /** Positions held. */
  readonly length: number;
  /** The past inputs of the next run. */
  feeds(): Record<string, OrtTensor>;
  /** The outputs to fetch from a run whose cache is kept. */
  readonly fetchNames: readonly string[];
  /** Takes a run's cache outputs (`chunkLength` new positions); returns the bytes that crossed into JavaScript. */
  advance(outputs: Record<string, OrtTensor>, chunkLength: number): number;
  /** Keeps the first `length` positions; returns the bytes read back from the device to do it. */
  truncate(length: number): Promise<number>;
  dispose(): void;
}

/** Whether the session exposes each cache tensor's new rows (a graph fused with cacheLinks). */
export function hasNewCacheRows(outputNames: readonly string[], links: readonly CacheLink[]): boolean {
  return links.length > 0 && links.every((link) => outputNames.includes(newCacheRowsName(link.present)));
}

const isOnCpu = (tensor: OrtTensor) => tensor.location === 'cpu' || tensor.location === 'cpu-pinned';

export function byteSizeOf(tensor: OrtTensor): number {
  const elements = tensor.dims.reduce((product, dim) => product * dim, 1);
  return elements * (tensor.type === 'float16' ? 2 : tensor.type === 'int64' ? 8 : tensor.type === 'bool' ? 1 : 4);
}

/** Zero-length past tensors shaped from the session's input metadata, as transformers.js builds them. */
export function emptyPast(links: readonly CacheLink[], Tensor: OrtTensorConstructor): Record<string, OrtTensor> {
  return Object.fromEntries(
    links.map(({ past }) => {
      // batch_size → 1; past_sequence_length and any other free dimension → 0.
      const shape = (past.shape ?? []).map((dim) => (typeof dim === 'number' ? dim : dim === 'batch_size' ? 1 : 0));
      const size = shape.reduce((product, dim) => product * dim, 1);
      const type = (past.type ?? 'float32') as OrtTensorType;
      return [past.name, new Tensor(type, typedArrayFor(type, size), shape)];
    }),
  );
}

/** Elements before and after `axis` of a tensor with these dims. */
function blockSizes(dims: readonly number[], axis: number): { outer: number; inner: number } {
  return {
    outer: dims.slice(0, axis).reduce((product, dim) => product * dim, 1),
    inner: dims.slice(axis + 1).reduce((product, dim) => product * dim, 1),
  };
}

interface CacheBuffer {
  type: OrtTensorType;
  data: OrtTensorData;
  /** Dims of the cache tensor (the sequence axis is set per use). */
  dims: number[];
  outer: number;
  inner: number;
}

/** The `present.*` outputs fed back as the next run's `past_*` inputs. */
export class PresentTensorCache implements KvCache {
  readonly fetchNames: readonly string[];
  private tensors: Record<string, OrtTensor>;
  private positions = 0;

  constructor(
    private readonly links: readonly CacheLink[],
    private readonly Tensor: OrtTensorConstructor,
  ) {
    this.fetchNames = links.map((link) => link.present);
    this.tensors = emptyPast(links, Tensor);
  }

  get length(): number {
    return this.positions;
  }

  feeds(): Record<string, OrtTensor> {
    return this.tensors;
  }

  advance(outputs: Record<string, OrtTensor>, chunkLength: number): number {
    const previous = this.tensors;
    this.tensors = Object.fromEntries(this.links.map((link) => [link.past.name, outputs[link.present]]));
    disposeTensors(Object.values(previous));
    this.positions += chunkLength;
    let bytes = 0;
    for (const tensor of Object.values(this.tensors)) if (isOnCpu(tensor)) bytes += byteSizeOf(tensor);
    return bytes;
  }

  async truncate(length: number): Promise<number> {
    if (length === this.positions) return 0;
    const truncated: Record<string, OrtTensor> = {};
    let bytes = 0;
    try {
      for (const link of this.links) {
        const tensor = this.tensors[link.past.name];
        if (!isOnCpu(tensor)) bytes += byteSizeOf(tensor);
        truncated[link.past.name] = await this.truncatedTensor(tensor, link.sequenceAxis, length);
      }
    } catch (error) {
      disposeTensors(Object.values(truncated));
      throw error;
    }
    disposeTensors(Object.values(this.tensors));
    this.tensors = truncated;
    this.positions = length;
    return bytes;
  }

  /** A CPU copy of `tensor` with `length` positions along `axis` (a GPU tensor is downloaded first). */
  private async truncatedTensor(tensor: OrtTensor, axis: number, length: number): Promise<OrtTensor> {
    const onCpu = isOnCpu(tensor);
    if (!onCpu && typeof tensor.getData !== 'function') throw new Error(`cannot read a ${tensor.location} cache tensor back to cut it`);
    const data = (onCpu ? tensor.data : await tensor.getData!()) as OrtTensorData;
    const dims = [...tensor.dims];
    const full = dims[axis];
    const { outer, inner } = blockSizes(dims, axis);
    const out = typedArrayFor(tensor.type, outer * length * inner);
    for (let block = 0; block < outer; block++) {
      (out as Float32Array).set((data as Float32Array).subarray(block * full * inner, block * full * inner + length * inner), block * length * inner);
    }
    dims[axis] = length;
    return new this.Tensor(tensor.type as OrtTensorType, out, dims);
  }

  dispose(): void {
    disposeTensors(Object.values(this.tensors));
    this.tensors = {};
  }
}

/**
 * One buffer per cache tensor, holding `length` positions in the layout of a tensor with that
 * many (for [1, heads, positions, head_dim]: head after head). Appending c positions moves each
 * head's block up by the rows added before it (a memmove, last block first) and writes the new
 * rows after it; the past inputs are views of the buffer's first elements.
 */
export class AppendOnlyCache implements KvCache {
  readonly fetchNames: readonly string[];
  private positions = 0;
  private capacity: number;
  /** Per cache tensor, allocated on the first advance (the rows' dims give the block sizes). */
  private buffers: Array<CacheBuffer> | null = null;

  /** `capacity`: positions to allocate room for up front (the sequence's forward length); it grows when exceeded. */
  constructor(
    private readonly links: readonly CacheLink[],
    private readonly Tensor: OrtTensorConstructor,
    capacity: number,
  ) {
    this.fetchNames = links.map((link) => newCacheRowsName(link.present));
    this.capacity = Math.max(1, capacity);
  }

  get length(): number {
    return this.positions;
  }

  /** Room for at least `positions` positions (a grown buffer is a new allocation, copied once). */
  reserve(positions: number): void {
    if (positions <= this.capacity) return;
    this.capacity = positions;
    if (!this.buffers) return;
    this.buffers = this.buffers.map((buffer) => {
      const data = typedArrayFor(buffer.type, buffer.outer * positions * buffer.inner);
      (data as Float32Array).set((buffer.data as Float32Array).subarray(0, buffer.outer * this.positions * buffer.inner));
      return { ...buffer, data };
    });
  }

  feeds(): Record<string, OrtTensor> {
    if (!this.buffers) return emptyPast(this.links, this.Tensor);
    return Object.fromEntries(
      this.links.map((link, index) => {
        const { type, data, dims, outer, inner } = this.buffers![index];
        const shape = [...dims];
        shape[link.sequenceAxis] = this.positions;
        return [link.past.name, new this.Tensor(type, data.subarray(0, outer * this.positions * inner) as OrtTensorData, shape)];
      }),
    );
  }

  advance(outputs: Record<string, OrtTensor>, chunkLength: number): number {
    let bytes = 0;
    const rowsOf = this.links.map((link) => outputs[newCacheRowsName(link.present)]);
    try {
      if (!this.buffers) this.buffers = this.allocate(rowsOf);
      this.reserve(this.positions + chunkLength);
      const before = this.positions;
      const after = before + chunkLength;
      this.links.forEach((link, index) => {
        const rows = rowsOf[index];
        const { data, outer, inner } = this.buffers![index];
        if (!isOnCpu(rows)) throw new Error(`new cache rows of ${link.present} are on ${rows.location}; expected them on the CPU`);
        if (rows.dims[link.sequenceAxis] !== chunkLength) {
          throw new Error(`new cache rows of ${link.present} have ${rows.dims[link.sequenceAxis]} positions; expected ${chunkLength}`);
        }
        const added = rows.data as Float32Array;
        const target = data as Float32Array;
        for (let block = outer - 1; block >= 0; block--) {
          // Block b of `before` positions moves to where block b of `after` positions starts.
          if (block > 0) target.copyWithin(block * after * inner, block * before * inner, (block + 1) * before * inner);
          target.set(added.subarray(block * chunkLength * inner, (block + 1) * chunkLength * inner), (block * after + before) * inner);
        }
        bytes += byteSizeOf(rows);
      });
      this.positions = after;
    } finally {
      disposeTensors(rowsOf);
    }
    return bytes;
  }

  async truncate(length: number): Promise<number> {
    if (length > this.positions) throw new RangeError(`cannot truncate a cache of ${this.positions} positions to ${length}`);
    if (!this.buffers || length === this.positions) {
      this.positions = length;
      return 0;
    }
    for (const { data, outer, inner } of this.buffers) {
      const target = data as Float32Array;
      // First block first: each block moves down onto the room freed before it.
      for (let block = 1; block < outer; block++) target.copyWithin(block * length * inner, block * this.positions * inner, (block * this.positions + length) * inner);
    }
    this.positions = length;
    return 0;
  }

  private allocate(rowsOf: readonly OrtTensor[]): Array<CacheBuffer> {
    return this.links.map((link, index) => {
      const rows = rowsOf[index];
      if (!rows) throw new Error(`the run returned no ${newCacheRowsName(link.present)}`);
      const { outer, inner } = blockSizes(rows.dims, link.sequenceAxis);
      const type = rows.type as OrtTensorType;
      return { type, data: typedArrayFor(type, outer * this.capacity * inner), dims: [...rows.dims], outer, inner };
    });
  }

  dispose(): void {
    this.buffers = null;
    this.positions = 0;
  }
}
