/**
 * Protobuf at the wire level for the weight merge (merge.ts): a message as its fields' byte ranges,
 * and messages written back from byte parts. The merge copies every byte it does not change, so
 * fields onnx-proto.ts does not declare (metadata, functions, subgraphs, value info, sparse
 * tensors) survive exactly, and two graphs can be compared field by field as bytes.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

/** One field of a message: its number, wire type, the whole field's byte range and its value's. */
export interface WireField {
  number: number;
  wireType: number;
  /** The tag's first byte. */
  start: number;
  /** One past the field's last byte. */
  end: number;
  /** Where the value starts (after the tag, and after the length of a length-delimited field). */
  valueStart: number;
}

/** A protobuf message that cannot be read: the merge says which file and where. */
export class WireFormatError extends Error {}

/** Reads a varint at `offset`: its value (exact up to 2^53) and the offset after it. */
export function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let position = offset; position < bytes.length && position < offset + 10; position++) {
    const byte = bytes[position];
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return { value, next: position + 1 };
  }
  throw new WireFormatError(`a varint at byte ${offset} runs past the end of the message`);
}

/** The fields of one message, in the order written. */
export function readFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const start = offset;
    const tag = readVarint(bytes, offset);
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    let valueStart = tag.next;
    let end: number;
    if (wireType === WIRE_VARINT) end = readVarint(bytes, tag.next).next;
    else if (wireType === WIRE_FIXED64) end = tag.next + 8;
    else if (wireType === WIRE_FIXED32) end = tag.next + 4;
    else if (wireType === WIRE_BYTES) {
      const length = readVarint(bytes, tag.next);
      valueStart = length.next;
      end = length.next + length.value;
    } else throw new WireFormatError(`unsupported wire type ${wireType} (field ${number}) at byte ${start}`);
    if (number === 0 || end > bytes.length) throw new WireFormatError(`field ${number} at byte ${start} runs past the end of the message (not an ONNX protobuf?)`);
    fields.push({ number, wireType, start, end, valueStart });
    offset = end;
  }
  return fields;
}

/** A length-delimited field's value bytes. */
export function valueOf(bytes: Uint8Array, field: WireField): Uint8Array {
  return bytes.subarray(field.valueStart, field.end);
}

/** A field's whole bytes (tag included). */
export function fieldBytes(bytes: Uint8Array, field: WireField): Uint8Array {
  return bytes.subarray(field.start, field.end);
}

/** A varint field's value. */
export function varintOf(bytes: Uint8Array, field: WireField): number {
  return readVarint(bytes, field.valueStart).value;
}

const utf8 = new TextDecoder();

export function stringOf(bytes: Uint8Array, field: WireField): string {
  return utf8.decode(valueOf(bytes, field));
}

/** The integers of a repeated integer field, packed or not (int64 dims, int32_data). */
export function repeatedVarints(bytes: Uint8Array, fields: readonly WireField[]): number[] {
  const values: number[] = [];
  for (const field of fields) {
    if (field.wireType === WIRE_VARINT) values.push(varintOf(bytes, field));
    else if (field.wireType === WIRE_BYTES) {
      let offset = field.valueStart;
      while (offset < field.end) {
        const read = readVarint(bytes, offset);
        values.push(read.value);
        offset = read.next;
      }
    }
  }
  return values;
}

export function encodeVarint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** A length-delimited field (tag, length, value) as byte parts. */
export function lengthDelimited(number: number, value: Uint8Array): Uint8Array[] {
  return [encodeVarint(number * 8 + WIRE_BYTES), encodeVarint(value.length), value];
}

/** Joins byte parts into one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}
