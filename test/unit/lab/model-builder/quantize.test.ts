import { describe, expect, it } from 'vitest';
import {
  dequantizeFourBitBlocks,
  dequantizeFourBitBlocksSymmetric,
  dequantizeInt8PerChannel,
  mulberry32,
  normalSampler,
  quantizeFourBitBlocks,
  quantizeFourBitBlocksSymmetric,
  quantizeInt8PerChannel,
} from '../../../../lab/model-builder';
import { float16BitsToNumber, float32ToFloat16Bits, littleEndianBytes } from '../../../../src/core/onnx';

function gaussianMatrix(length: number, seed: number): Float32Array {
  const normal = normalSampler(mulberry32(seed));
  return Float32Array.from({ length }, () => normal());
}

describe('quantizeFourBitBlocks (MatMulNBits layout)', () => {
  it('packs a hand-worked block: low nibble first, K padded with the zero point', () => {
    // min −0.8, max 2.2 → scale 0.2, zero point 4; codes 0, 4, 15.
    const quantized = quantizeFourBitBlocks(Float32Array.from([-0.8, 0, 2.2]), 1, 3);
    expect(quantized.blocksPerRow).toBe(1);
    expect(quantized.scales[0]).toBeCloseTo(0.2, 6);
    expect(Array.from(quantized.zeroPoints)).toEqual([4]);
    const expectedBytes = [0x40, 0x4f, ...Array(14).fill(0x44)];
    expect(Array.from(quantized.packedWeights)).toEqual(expectedBytes);
    expect(Array.from(dequantizeFourBitBlocks(quantized))).toEqual([expect.closeTo(-0.8, 6), 0, expect.closeTo(2.2, 6)]);
  });

  it('packs two zero points per byte, even block in the low nibble, and pads odd block counts per row', () => {
    // Three blocks per row: block 0 all positive (zero point 0), block 1 all negative (15), block 2 mixed.
    const row = new Float32Array(96);
    row.fill(1, 0, 32);
    row.fill(-1, 32, 64);
    row.fill(0.5, 64, 80);
    row.fill(-1, 80, 96);
    const twoRows = new Float32Array(192);
    twoRows.set(row, 0);
    twoRows.set(row, 96);
    const quantized = quantizeFourBitBlocks(twoRows, 2, 96);
    const mixedZeroPoint = Math.round(1 / (1.5 / 15)); // 10
    expect(Array.from(quantized.zeroPoints)).toEqual([0 | (15 << 4), mixedZeroPoint, 0 | (15 << 4), mixedZeroPoint]);
    expect(maxAbs(dequantizeFourBitBlocks(quantized), twoRows)).toBeLessThan(1e-6);
  });

  it('round-trips Gaussian weights within half a quantization step, keeping exact zeros', () => {
    const outputs = 7;
    const inputs = 77; // not a multiple of 32
    const weights = gaussianMatrix(outputs * inputs, 11);
    weights[5] = 0;
    const quantized = quantizeFourBitBlocks(weights, outputs, inputs);
    const restored = dequantizeFourBitBlocks(quantized);
    expect(quantized.packedWeights.length).toBe(outputs * 3 * 16);
    expect(quantized.zeroPoints.length).toBe(outputs * 2);
    for (let index = 0; index < weights.length; index++) {
      const output = Math.floor(index / inputs);
      const block = Math.floor((index % inputs) / 32);
      const step = quantized.scales[output * quantized.blocksPerRow + block];
      expect(Math.abs(restored[index] - weights[index])).toBeLessThanOrEqual(step / 2 + 1e-6);
    }
    expect(restored[5]).toBe(0);
  });
});

describe('quantizeFourBitBlocksSymmetric (MatMulNBits without zero points: 8 is zero)', () => {
  it('packs a hand-worked block: scale max|w| / 7, code round(w / scale) + 8, low nibble first, K padded with 8', () => {
    // max |w| 1.4 → scale 0.2; −1.4 → 1, 0 → 8, 0.3 → round(1.5) + 8 = 10, 1.4 → 15.
    const quantized = quantizeFourBitBlocksSymmetric(Float32Array.from([-1.4, 0, 0.3, 1.4]), 1, 4);
    expect(quantized.scales[0]).toBeCloseTo(0.2, 6);
    expect(quantized).not.toHaveProperty('zeroPoints');
    expect(Array.from(quantized.packedWeights)).toEqual([0x81, 0xfa, ...Array(14).fill(0x88)]);
    expect(Array.from(dequantizeFourBitBlocksSymmetric(quantized))).toEqual([expect.closeTo(-1.4, 6), 0, expect.closeTo(0.4, 6), expect.closeTo(1.4, 6)]);
  });

  it('round-trips Gaussian weights within half a step per block, never using code 0, keeping exact zeros and all-zero blocks', () => {
    const outputs = 5;
    const inputs = 77; // not a multiple of 32
    const weights = gaussianMatrix(outputs * inputs, 13);
    weights[3] = 0;
    weights.fill(0, inputs, inputs + 32); // row 1, block 0: all zero
    const quantized = quantizeFourBitBlocksSymmetric(weights, outputs, inputs);
    const restored = dequantizeFourBitBlocksSymmetric(quantized);
    expect(quantized.packedWeights.length).toBe(outputs * 3 * 16);
    for (let index = 0; index < weights.length; index++) {
      const output = Math.floor(index / inputs);
      const step = quantized.scales[output * quantized.blocksPerRow + Math.floor((index % inputs) / 32)];
      expect(Math.abs(restored[index] - weights[index])).toBeLessThanOrEqual(step / 2 + 1e-6);
    }
    expect(restored[3]).toBe(0);
    expect(Array.from(restored.subarray(inputs, inputs + 32)).every((value) => value === 0)).toBe(true);
    const codes = Array.from(quantized.packedWeights).flatMap((byte) => [byte & 0x0f, byte >> 4]);
    expect(codes).not.toContain(0);
  });
});

describe('quantizeInt8PerChannel', () => {
  it('uses one symmetric scale per channel along the requested axis', () => {
    const rows = 5;
    const cols = 6;
    const matrix = gaussianMatrix(rows * cols, 3);
    for (const axis of [0, 1] as const) {
      const quantized = quantizeInt8PerChannel(matrix, rows, cols, axis);
      expect(quantized.scales.length).toBe(axis === 0 ? rows : cols);
      const restored = dequantizeInt8PerChannel(quantized, rows, cols);
      for (let index = 0; index < matrix.length; index++) {
        const channel = axis === 0 ? Math.floor(index / cols) : index % cols;
        expect(Math.abs(restored[index] - matrix[index])).toBeLessThanOrEqual(quantized.scales[channel] / 2 + 1e-7);
      }
      // The largest magnitude of each channel maps to ±127.
      expect(Math.max(...Array.from(quantized.values, Math.abs))).toBe(127);
    }
  });
});

describe('float16 and raw bytes', () => {
  it('rounds to nearest even and handles the binary16 edge cases', () => {
    const cases: Array<[number, number]> = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds up past the largest finite half
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -26, 0x0000], // below half of it
      [1 + 2 ** -11, 0x3c00], // tie → even
      [1 + 3 * 2 ** -11, 0x3c02], // tie → even (upwards)
      [-0, 0x8000],
    ];
    for (const [value, bits] of cases) expect(float32ToFloat16Bits(value)).toBe(bits);
    expect(float32ToFloat16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(float32ToFloat16Bits(NaN) & 0x3ff).not.toBe(0);
    for (const bits of [0x0001, 0x03ff, 0x0400, 0x3555, 0x7bff, 0xc000]) expect(float32ToFloat16Bits(float16BitsToNumber(bits))).toBe(bits);
  });

  it('writes little-endian element bytes', () => {
    expect(Array.from(littleEndianBytes(Float32Array.from([1])))).toEqual([0, 0, 0x80, 0x3f]);
    expect(Array.from(littleEndianBytes(BigInt64Array.from([258n])))).toEqual([2, 1, 0, 0, 0, 0, 0, 0]);
  });
});

function maxAbs(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let index = 0; index < a.length; index++) max = Math.max(max, Math.abs(a[index] - b[index]));
  return max;
}
