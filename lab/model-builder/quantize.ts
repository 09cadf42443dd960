/** Weight-only quantizers producing the tensor layouts ONNX Runtime expects. */

export interface Int8PerChannel {
  /** Same layout as the input matrix. */
  values: Int8Array;
  /** One scale per channel along `axis`. */
  scales: Float32Array;
  axis: 0 | 1;
}

/**
 * Symmetric int8 per-channel quantization of a row-major `[rows, cols]` matrix for
 * `DequantizeLinear(values, scales, zero_point = 0, axis)`: value ≈ q · scale, q ∈ [−127, 127].
 * axis 1 gives one scale per column (per output channel of an `[in, out]` weight),
 * axis 0 one per row (per token of an embedding table).
 */
export function quantizeInt8PerChannel(matrix: Float32Array, rows: number, cols: number, axis: 0 | 1): Int8PerChannel {
  const channelCount = axis === 0 ? rows : cols;
  const maxAbs = new Float32Array(channelCount);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const channel = axis === 0 ? row : col;
      const magnitude = Math.abs(matrix[row * cols + col]);
      if (magnitude > maxAbs[channel]) maxAbs[channel] = magnitude;
    }
  }
  // An all-zero channel quantizes to zeros with any scale; 1 just avoids dividing by 0.
  const scales = Float32Array.from(maxAbs, (value) => (value > 0 ? value / 127 : 1));
  const values = new Int8Array(rows * cols);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const scale = scales[axis === 0 ? row : col];
      const quantized = Math.round(matrix[row * cols + col] / scale);
      values[row * cols + col] = Math.max(-127, Math.min(127, quantized));
    }
  }
  return { values, scales, axis };
}

export function dequantizeInt8PerChannel(quantized: Int8PerChannel, rows: number, cols: number): Float32Array {
  const result = new Float32Array(rows * cols);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const scale = quantized.scales[quantized.axis === 0 ? row : col];
      result[row * cols + col] = quantized.values[row * cols + col] * scale;
    }
  }
  return result;
}

export const MATMUL_NBITS_BLOCK_SIZE = 32;
const FOUR_BIT_MAX = 15;

/**
 * 4-bit block quantization in the layout of ONNX Runtime's `com.microsoft.MatMulNBits`
 * (bits = 4): for a weight with N output channels and K inputs,
 * - `packedWeights` uint8 `[N, blocksPerRow, blockSize / 2]`: codes along K, two per byte, the
 *   even-indexed code in the low nibble; K is zero-padded up to a whole block,
 * - `scales` float `[N · blocksPerRow]`,
 * - `zeroPoints` uint8 `[N · ceil(blocksPerRow / 2)]`: one 4-bit zero point per block, packed
 *   low nibble first within each output channel's run of bytes.
 * Dequantized value = (code − zeroPoint) · scale. Each block is asymmetric (min/max over the
 * block, widened to include 0 so that zero stays exactly representable).
 */
export interface FourBitBlockQuantized {
  outputCount: number; // N
  inputCount: number; // K
  blockSize: number;
  blocksPerRow: number;
  packedWeights: Uint8Array;
  scales: Float32Array;
  zeroPoints: Uint8Array;
}

/** Quantizes `weightsByOutput`, a row-major `[N, K]` matrix (one row per output channel). */
export function quantizeFourBitBlocks(
  weightsByOutput: Float32Array,
  outputCount: number,
  inputCount: number,
  blockSize = MATMUL_NBITS_BLOCK_SIZE,
): FourBitBlockQuantized {
  if (weightsByOutput.length !== outputCount * inputCount) throw new Error('quantizeFourBitBlocks: size mismatch');
  const blocksPerRow = Math.ceil(inputCount / blockSize);
  const bytesPerBlock = blockSize / 2;
  const zeroPointBytesPerRow = Math.ceil(blocksPerRow / 2);
  const packedWeights = new Uint8Array(outputCount * blocksPerRow * bytesPerBlock);
  const scales = new Float32Array(outputCount * blocksPerRow);
  const zeroPoints = new Uint8Array(outputCount * zeroPointBytesPerRow);
  const codes = new Uint8Array(blockSize);

  for (let output = 0; output < outputCount; output++) {
    const rowStart = output * inputCount;
    for (let block = 0; block < blocksPerRow; block++) {
      const blockStart = block * blockSize;
      const blockEnd = Math.min(blockStart + blockSize, inputCount);
      let min = 0;
      let max = 0;
      for (let k = blockStart; k < blockEnd; k++) {
        const value = weightsByOutput[rowStart + k];
        if (value < min) min = value;
        if (value > max) max = value;
      }
      const scale = max > min ? (max - min) / FOUR_BIT_MAX : 1;
      const zeroPoint = Math.max(0, Math.min(FOUR_BIT_MAX, Math.round(-min / scale)));
      codes.fill(zeroPoint); // padding past K dequantizes to exactly 0
      for (let k = blockStart; k < blockEnd; k++) {
        const code = Math.round(weightsByOutput[rowStart + k] / scale) + zeroPoint;
        codes[k - blockStart] = Math.max(0, Math.min(FOUR_BIT_MAX, code));
      }
      const blockIndex = output * blocksPerRow + block;
      scales[blockIndex] = scale;
      for (let pair = 0; pair < bytesPerBlock; pair++) {
        packedWeights[blockIndex * bytesPerBlock + pair] = codes[2 * pair] | (codes[2 * pair + 1] << 4);
      }
      const zeroPointByte = output * zeroPointBytesPerRow + (block >> 1);
      zeroPoints[zeroPointByte] |= (block & 1) === 0 ? zeroPoint : zeroPoint << 4;
    }
  }
  return { outputCount, inputCount, blockSize, blocksPerRow, packedWeights, scales, zeroPoints };
}

/** Inverse of {@link quantizeFourBitBlocks}: the `[N, K]` matrix the quantized codes stand for. */
export function dequantizeFourBitBlocks(quantized: FourBitBlockQuantized): Float32Array {
  const { outputCount, inputCount, blockSize, blocksPerRow, packedWeights, scales, zeroPoints } = quantized;
  const zeroPointBytesPerRow = Math.ceil(blocksPerRow / 2);
  const result = new Float32Array(outputCount * inputCount);
  for (let output = 0; output < outputCount; output++) {
    for (let k = 0; k < inputCount; k++) {
      const block = Math.floor(k / blockSize);
      const blockIndex = output * blocksPerRow + block;
      const withinBlock = k - block * blockSize;
      const byte = packedWeights[blockIndex * (blockSize / 2) + (withinBlock >> 1)];
      const code = (withinBlock & 1) === 0 ? byte & 0x0f : byte >> 4;
      const zeroPointByte = zeroPoints[output * zeroPointBytesPerRow + (block >> 1)];
      const zeroPoint = (block & 1) === 0 ? zeroPointByte & 0x0f : zeroPointByte >> 4;
      result[output * inputCount + k] = (code - zeroPoint) * scales[blockIndex];
    }
  }
  return result;
}

/** Row-major transpose of a `[rows, cols]` matrix. */
export function transposeMatrix(matrix: Float32Array, rows: number, cols: number): Float32Array {
  const result = new Float32Array(rows * cols);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) result[col * rows + row] = matrix[row * cols + col];
  }
  return result;
}

/**
 * Symmetric 4-bit blocks for `MatMulNBits` without a zero-point input (ONNX Runtime then takes 8):
 * the layout of {@link FourBitBlockQuantized} without `zeroPoints`. Each block of `blockSize`
 * weights along K gets scale = max |w| / 7 and codes round(w / scale) + 8 ∈ [1, 15], so
 * dequantized = (code − 8) · scale and zero is exact; K is padded with code 8.
 */
export type SymmetricFourBitBlocks = Omit<FourBitBlockQuantized, 'zeroPoints'>;

const SYMMETRIC_FOUR_BIT_ZERO = 8;
const SYMMETRIC_FOUR_BIT_MAX_MAGNITUDE = 7;

/** Quantizes `weightsByOutput`, a row-major `[N, K]` matrix (nn.Linear's `[out, in]`), symmetrically. */
export function quantizeFourBitBlocksSymmetric(
  weightsByOutput: Float32Array,
  outputCount: number,
  inputCount: number,
  blockSize = MATMUL_NBITS_BLOCK_SIZE,
): SymmetricFourBitBlocks {
  if (weightsByOutput.length !== outputCount * inputCount) throw new Error('quantizeFourBitBlocksSymmetric: size mismatch');
  const blocksPerRow = Math.ceil(inputCount / blockSize);
  const bytesPerBlock = blockSize / 2;
  const packedWeights = new Uint8Array(outputCount * blocksPerRow * bytesPerBlock);
  const scales = new Float32Array(outputCount * blocksPerRow);
  const codes = new Uint8Array(blockSize);
  for (let output = 0; output < outputCount; output++) {
    const rowStart = output * inputCount;
    for (let block = 0; block < blocksPerRow; block++) {
      const blockStart = block * blockSize;
      const blockEnd = Math.min(blockStart + blockSize, inputCount);
      let maxMagnitude = 0;
      for (let k = blockStart; k < blockEnd; k++) maxMagnitude = Math.max(maxMagnitude, Math.abs(weightsByOutput[rowStart + k]));
      // An all-zero block quantizes to code 8 with any scale; 1 just avoids dividing by 0.
      const scale = maxMagnitude > 0 ? maxMagnitude / SYMMETRIC_FOUR_BIT_MAX_MAGNITUDE : 1;
      codes.fill(SYMMETRIC_FOUR_BIT_ZERO);
      for (let k = blockStart; k < blockEnd; k++) {
        const code = Math.round(weightsByOutput[rowStart + k] / scale) + SYMMETRIC_FOUR_BIT_ZERO;
        codes[k - blockStart] = Math.max(SYMMETRIC_FOUR_BIT_ZERO - SYMMETRIC_FOUR_BIT_MAX_MAGNITUDE, Math.min(SYMMETRIC_FOUR_BIT_ZERO + SYMMETRIC_FOUR_BIT_MAX_MAGNITUDE, code));
      }
      const blockIndex = output * blocksPerRow + block;
      scales[blockIndex] = scale;
      for (let pair = 0; pair < bytesPerBlock; pair++) packedWeights[blockIndex * bytesPerBlock + pair] = codes[2 * pair] | (codes[2 * pair + 1] << 4);
    }
  }
  return { outputCount, inputCount, blockSize, blocksPerRow, packedWeights, scales };
}

/** Inverse of {@link quantizeFourBitBlocksSymmetric}: the `[N, K]` matrix the codes stand for. */
export function dequantizeFourBitBlocksSymmetric(quantized: SymmetricFourBitBlocks): Float32Array {
  const { outputCount, inputCount, blockSize, blocksPerRow, packedWeights, scales } = quantized;
  const result = new Float32Array(outputCount * inputCount);
  for (let output = 0; output < outputCount; output++) {
    for (let k = 0; k < inputCount; k++) {
      const block = Math.floor(k / blockSize);
      const blockIndex = output * blocksPerRow + block;
      const withinBlock = k - block * blockSize;
      const byte = packedWeights[blockIndex * (blockSize / 2) + (withinBlock >> 1)];
      const code = (withinBlock & 1) === 0 ? byte & 0x0f : byte >> 4;
      result[output * inputCount + k] = (code - SYMMETRIC_FOUR_BIT_ZERO) * scales[blockIndex];
    }
  }
  return result;
}
