/**
 * The slice of the onnxruntime JavaScript API the engine uses, declared structurally. In Node the
 * runtime is onnxruntime-node, in a browser worker onnxruntime-web; their `onnxruntime-common`
 * copies can differ in version, so the engine takes the classes from the runtime that
 * transformers.js actually loaded (see `ortRuntimeOf`) rather than importing either package.
 */

export type OrtTensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool';
export type OrtDataLocation = 'none' | 'cpu' | 'cpu-pinned' | 'texture' | 'gpu-buffer' | 'ml-tensor';

export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  /** CPU data; throws for a tensor that lives on the GPU. */
  readonly data: unknown;
  readonly location: OrtDataLocation;
  /** Frees the tensor's data (the GPU buffer of a GPU tensor); a no-op for plain CPU tensors. */
  dispose(): void;
  /** Downloads a GPU tensor's data (CPU tensors resolve to `data`). */
  getData?(): Promise<unknown>;
}

export type OrtTensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

export interface OrtTensorConstructor {
  new (type: OrtTensorType, data: OrtTensorData, dims: readonly number[]): OrtTensor;
  /** onnxruntime-web only (WebGPU): wraps a GPUBuffer the caller owns. */
  fromGpuBuffer?(buffer: unknown, options: { dataType: OrtTensorType; dims: readonly number[] }): OrtTensor;
}

export interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  /** Numbers for fixed dimensions, names for symbolic ones. */
  readonly shape?: ReadonlyArray<number | string>;
}

export type OrtExecutionProvider = string | { readonly name: string; readonly [option: string]: unknown };

export interface OrtSessionOptions {
  executionProviders?: readonly OrtExecutionProvider[];
  /** onnxruntime-node: threads within one operator (0: the runtime's default, one per core). */
  intraOpNumThreads?: number;
  preferredOutputLocation?: OrtDataLocation | Readonly<Record<string, OrtDataLocation>>;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly OrtValueMetadata[];
  readonly outputMetadata: readonly OrtValueMetadata[];
  /**
   * `fetches`: names of the outputs to return, or name → pre-allocated tensor (null: let the
   * runtime allocate it at the session's preferred location).
   */
  run(
    feeds: Readonly<Record<string, OrtTensor>>,
    fetches?: readonly string[] | Readonly<Record<string, OrtTensor | null>>,
  ): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtSessionFactory {
  create(model: Uint8Array, options?: OrtSessionOptions): Promise<OrtSession>;
}

/** The classes of one loaded onnxruntime, plus what is known about where it runs. */
export interface OrtRuntime {
  readonly sessionFactory: OrtSessionFactory;
  readonly Tensor: OrtTensorConstructor;
  /** `onnxruntime-node`, `onnxruntime-web`, or `onnxruntime` when the runtime does not say. */
  readonly name: string;
  /** `ort.env.webgpu` of onnxruntime-web: its `device` resolves to the GPUDevice sessions run on. */
  readonly webgpuEnv: { readonly device?: Promise<GpuDeviceLike> | GpuDeviceLike } | null;
}

/** The few GPUDevice members used to allocate logits buffers (no @webgpu/types dependency). */
export interface GpuDeviceLike {
  readonly limits: { readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number };
  createBuffer(descriptor: { size: number; usage: number }): GpuBufferLike;
}

export interface GpuBufferLike {
  readonly size: number;
  destroy(): void;
}

/** GPUBufferUsage flags (fixed by the WebGPU spec; the global is absent outside WebGPU contexts). */
export const GPU_BUFFER_USAGE = { COPY_SRC: 0x0004, COPY_DST: 0x0008, STORAGE: 0x0080 } as const;

/** Disposes tensors, ignoring ones already disposed (dispose() of a CPU tensor is harmless). */
export function disposeTensors(tensors: Iterable<OrtTensor | null | undefined>): void {
  for (const tensor of tensors) tensor?.dispose();
}

export function typedArrayFor(type: string, length: number): OrtTensorData {
  switch (type) {
    case 'float32':
      return new Float32Array(length);
    case 'float16':
      return new Uint16Array(length); // onnxruntime takes float16 data as raw 16-bit patterns
    case 'int64':
      return new BigInt64Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'bool':
      return new Uint8Array(length);
    default:
      throw new Error(`unsupported tensor element type ${JSON.stringify(type)}`);
  }
}

/** Copies a CPU tensor's float32 data out (the tensor may be disposed afterwards). */
export function float32DataOf(tensor: OrtTensor, what: string): Float32Array {
  if (tensor.location !== 'cpu' && tensor.location !== 'cpu-pinned') {
    throw new Error(`${what} is on ${tensor.location}; expected it on the CPU`);
  }
  if (!(tensor.data instanceof Float32Array)) throw new Error(`${what} has element type ${tensor.type}; expected float32`);
  return tensor.data.slice();
}
