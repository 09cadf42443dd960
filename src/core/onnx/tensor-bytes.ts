/** Conversions from typed arrays to the little-endian bytes ONNX stores in `raw_data`. */

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type NumericArray = Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** Copies the elements' bytes in little-endian order (a byte swap only on big-endian hosts). */
export function littleEndianBytes(values: NumericArray): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
  const elementSize = values.BYTES_PER_ELEMENT;
  if (!hostIsLittleEndian && elementSize > 1) {
    for (let start = 0; start < bytes.length; start += elementSize) {
      bytes.subarray(start, start + elementSize).reverse();
    }
  }
  return bytes;
}

const float32Scratch = new Float32Array(1);
const uint32Scratch = new Uint32Array(float32Scratch.buffer);

/** IEEE 754 binary16 bits of a number, rounding to nearest even (Float16Array is not in Node 20). */
export function float32ToFloat16Bits(value: number): number {
  float32Scratch[0] = value;
  const bits = uint32Scratch[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;

  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0); // Inf / NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // overflow to Inf
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the implicit leading 1 into the mantissa.
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    const halfMantissa = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const roundUp = remainder > halfway || (remainder === halfway && (halfMantissa & 1) === 1);
    return sign | (halfMantissa + (roundUp ? 1 : 0));
  }
  const halfMantissa = mantissa >>> 13;
  const remainder = mantissa & 0x1fff;
  const roundUp = remainder > 0x1000 || (remainder === 0x1000 && (halfMantissa & 1) === 1);
  // A carry out of the mantissa correctly bumps the exponent (and can reach Inf).
  return (sign | (halfExponent << 10) | halfMantissa) + (roundUp ? 1 : 0);
}

/** The value a binary16 bit pattern stands for. */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function toFloat16Bits(values: Float32Array): Uint16Array {
  const result = new Uint16Array(values.length);
  for (let index = 0; index < values.length; index++) result[index] = float32ToFloat16Bits(values[index]);
  return result;
}
