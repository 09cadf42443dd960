/** WebGPU: pre-allocated buffers the model writes its logits into, so they never leave the GPU. */
import { GPU_BUFFER_USAGE, type GpuBufferLike, type GpuDeviceLike, type OrtTensor, type OrtTensorConstructor } from '../ort-types';

/** One GPUBuffer per chunk length (the last chunk is usually shorter), wrapped as the model's logits output. */
export class DeviceLogitsBuffers {
  private readonly byLength = new Map<number, { buffer: GpuBufferLike; tensor: OrtTensor }>();

  constructor(
    private readonly device: GpuDeviceLike,
    private readonly Tensor: OrtTensorConstructor,
    private readonly vocabSize: number,
    private readonly logitsType: 'float32' | 'float16',
  ) {}

  tensorFor(length: number): OrtTensor {
    let entry = this.byLength.get(length);
    if (!entry) {
      const bytes = length * this.vocabSize * (this.logitsType === 'float16' ? 2 : 4);
      const buffer = this.device.createBuffer({
        size: Math.ceil(bytes / 16) * 16,
        usage: GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_SRC | GPU_BUFFER_USAGE.COPY_DST,
      });
      const tensor = this.Tensor.fromGpuBuffer!(buffer, { dataType: this.logitsType, dims: [1, length, this.vocabSize] });
      entry = { buffer, tensor };
      this.byLength.set(length, entry);
    }
    return entry.tensor;
  }

  destroy(): void {
    for (const { buffer, tensor } of this.byLength.values()) {
      tensor.dispose();
      buffer.destroy();
    }
    this.byLength.clear();
  }
}
