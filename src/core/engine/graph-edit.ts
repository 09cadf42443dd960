/**
 * Edits of an ONNX ModelProto at the protobuf wire level: only the top-level fields of the model
 * and of its graph are walked, and nodes are decoded shallowly (names and op types); initializers
 * — the weights, possibly gigabytes — are copied as bytes, never decoded.
 *
 * What the engine edits (see reduction.ts): graph outputs dropped (they become intermediates),
 * node inputs redirected (the LM head reads only the scored rows of the hidden states) and nodes
 * dropped (replaced by an appended fragment: row-quantization.ts).
 */
import { maxOf } from '../arrays';
import { encodeOnnxModel, type OnnxModel } from '../onnx/onnx-proto';
import { OnnxGraphBuilder } from '../onnx/onnx-graph-builder';

const MODEL_PROTO_GRAPH_FIELD = 7;
const MODEL_PROTO_OPSET_IMPORT_FIELD = 8;
const GRAPH_PROTO_NODE_FIELD = 1;
const GRAPH_PROTO_INITIALIZER_FIELD = 5;
const GRAPH_PROTO_OUTPUT_FIELD = 12;
const TENSOR_PROTO_NAME_FIELD = 8;
const VALUE_INFO_NAME_FIELD = 1;
const NODE_PROTO = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTRIBUTE_PROTO = { name: 1, i: 3 } as const;
const LENGTH_DELIMITED = 2;

/** What a node is, read without its attributes' tensors. */
export interface NodeSummary {
  /** Position among the graph's nodes. */
  index: number;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes (name → value); other attribute kinds are left out. */
  intAttributes: Record<string, number>;
}

/** Nodes an edit replaces and a partial-graph ModelProto with their replacements (see reduction.ts fuseReductionIntoModel). */
export interface NodeReplacement {
  dropNodes: ReadonlySet<number>;
  fragment: Uint8Array;
}

export interface GraphEdit {
  /** Graph outputs to remove from the output list (their values stay, as intermediates). */
  dropOutputs?: ReadonlySet<string>;
  /** Node index → (input position → new input name). */
  nodeInputs?: ReadonlyMap<number, ReadonlyMap<number, string>>;
  /** Node indices to remove (an appended fragment writes their outputs instead). */
  dropNodes?: ReadonlySet<number>;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The graph's nodes in file order. Throws when the bytes are not a ModelProto with a graph. */
export function graphNodes(modelBytes: Uint8Array): NodeSummary[] {
  const nodes: NodeSummary[] = [];
  forEachGraphField(modelBytes, (field, value) => {
    if (field === GRAPH_PROTO_NODE_FIELD && value) nodes.push(nodeSummary(value, nodes.length));
  });
  return nodes;
}

/** Names of the graph's initializers (the weights), read without decoding their data. */
export function initializerNames(modelBytes: Uint8Array): Set<string> {
  const names = new Set<string>();
  forEachGraphField(modelBytes, (field, value) => {
    if (field !== GRAPH_PROTO_INITIALIZER_FIELD || !value) return;
    const tensor = new ProtoReader(value);
    while (!tensor.done()) {
      const { field: tensorField, wireType } = tensor.tag();
      if (tensorField === TENSOR_PROTO_NAME_FIELD && wireType === LENGTH_DELIMITED) {
        names.add(decoder.decode(tensor.bytes()));
        return;
      }
      tensor.skip(wireType);
    }
  });
  return names;
}

/**
 * The ModelProto with `edit` applied, followed by `appended` (a fragment to merge, see
 * reduction.ts), in one new buffer: a model's bytes are copied once. `modelBytes` is not changed.
 */
export function editModelGraph(modelBytes: Uint8Array, edit: GraphEdit, appended?: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  const model = new ProtoReader(modelBytes);
  let graphs = 0;
  while (!model.done()) {
    const fieldStart = model.position;
    const { field, wireType } = model.tag();
    if (field === MODEL_PROTO_GRAPH_FIELD && wireType === LENGTH_DELIMITED) {
      graphs++;
      const kept = editedGraphFields(model.bytes(), edit);
      parts.push(encodeVarint(MODEL_PROTO_GRAPH_FIELD * 8 + LENGTH_DELIMITED), encodeVarint(totalLength(kept)), ...kept);
    } else {
      model.skip(wireType);
      parts.push(model.slice(fieldStart));
    }
  }
  if (graphs === 0) throw new Error('not an ONNX model: no graph field');
  if (appended) parts.push(appended);
  return concatenate(parts);
}

/**
 * Replacement nodes being written for a NodeReplacement's `fragment` (float32-softmax.ts,
 * exact-trig.ts, row-quantization.ts). `builder` writes the nodes; a name the fragment shares with
 * the model is passed through `reads` (a model value it reads: reserved, so the builder never
 * makes that name itself) or `writes` (a model value it writes in place of a dropped node). When
 * encoded, every other name takes `prefix`, so none collides with the model's.
 */
export class GraphFragment {
  readonly builder = new OnnxGraphBuilder();
  private readonly shared = new Set<string>();
  private readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  reads(name: string): string {
    if (!this.shared.has(name)) {
      this.shared.add(name);
      this.builder.reserveName(name);
    }
    return name;
  }

  writes(name: string): string {
    this.shared.add(name);
    return name;
  }

  /** A partial-graph ModelProto (only the graph field: it must not override the model's IR version or opsets). */
  encode(): Uint8Array {
    const rename = (name: string) => (name === '' || this.shared.has(name) ? name : `${this.prefix}${name}`);
    const fragment = {
      graph: {
        node: this.builder.nodes.map((node) => ({ ...node, name: rename(node.name), input: node.input.map(rename), output: node.output.map(rename) })),
        initializer: this.builder.initializers.map((tensor) => ({ ...tensor, name: rename(tensor.name) })),
        input: [],
        output: [],
      },
    };
    return encodeOnnxModel(fragment as unknown as OnnxModel);
  }
}

function editedGraphFields(graphBytes: Uint8Array, edit: GraphEdit): Uint8Array[] {
  const kept: Uint8Array[] = [];
  const graph = new ProtoReader(graphBytes);
  let nodeIndex = 0;
  while (!graph.done()) {
    const start = graph.position;
    const { field, wireType } = graph.tag();
    if (wireType !== LENGTH_DELIMITED) {
      graph.skip(wireType);
      kept.push(graph.slice(start));
      continue;
    }
    const value = graph.bytes();
    if (field === GRAPH_PROTO_OUTPUT_FIELD && edit.dropOutputs?.has(valueInfoName(value))) continue;
    if (field === GRAPH_PROTO_NODE_FIELD) {
      const index = nodeIndex++;
      if (edit.dropNodes?.has(index)) continue;
      const inputs = edit.nodeInputs?.get(index);
      if (inputs) {
        const node = nodeWithInputs(value, inputs);
        kept.push(encodeVarint(GRAPH_PROTO_NODE_FIELD * 8 + LENGTH_DELIMITED), encodeVarint(node.byteLength), node);
        continue;
      }
    }
    kept.push(graph.slice(start));
  }
  return kept;
}

/** A NodeProto with some of its inputs renamed; every other field is copied as it is. */
function nodeWithInputs(nodeBytes: Uint8Array, inputs: ReadonlyMap<number, string>): Uint8Array {
  const parts: Uint8Array[] = [];
  const node = new ProtoReader(nodeBytes);
  let inputIndex = 0;
  while (!node.done()) {
    const start = node.position;
    const { field, wireType } = node.tag();
    node.skip(wireType);
    const replacement = field === NODE_PROTO.input && wireType === LENGTH_DELIMITED ? inputs.get(inputIndex++) : undefined;
    if (replacement === undefined) {
      parts.push(node.slice(start));
    } else {
      const name = encoder.encode(replacement);
      parts.push(encodeVarint(NODE_PROTO.input * 8 + LENGTH_DELIMITED), encodeVarint(name.byteLength), name);
    }
  }
  if (inputIndex <= maxOf(inputs.keys())) throw new Error(`node has ${inputIndex} inputs; cannot rename input ${maxOf(inputs.keys())}`);
  return concatenate(parts);
}

function nodeSummary(nodeBytes: Uint8Array, index: number): NodeSummary {
  const summary: NodeSummary = { index, opType: '', domain: '', inputs: [], outputs: [], intAttributes: {} };
  const node = new ProtoReader(nodeBytes);
  while (!node.done()) {
    const { field, wireType } = node.tag();
    if (wireType !== LENGTH_DELIMITED) {
      node.skip(wireType);
      continue;
    }
    const value = node.bytes();
    if (field === NODE_PROTO.input) summary.inputs.push(decoder.decode(value));
    else if (field === NODE_PROTO.output) summary.outputs.push(decoder.decode(value));
    else if (field === NODE_PROTO.opType) summary.opType = decoder.decode(value);
    else if (field === NODE_PROTO.domain) summary.domain = decoder.decode(value);
    else if (field === NODE_PROTO.attribute) {
      const attribute = intAttribute(value);
      if (attribute) summary.intAttributes[attribute.name] = attribute.value;
    }
  }
  return summary;
}

function intAttribute(bytes: Uint8Array): { name: string; value: number } | null {
  const reader = new ProtoReader(bytes);
  let name = '';
  let value: number | null = null;
  while (!reader.done()) {
    const { field, wireType } = reader.tag();
    if (field === ATTRIBUTE_PROTO.name && wireType === LENGTH_DELIMITED) name = decoder.decode(reader.bytes());
    else if (field === ATTRIBUTE_PROTO.i && wireType === 0) value = reader.signedVarint();
    else reader.skip(wireType);
  }
  return value === null ? null : { name, value };
}

function valueInfoName(bytes: Uint8Array): string {
  const reader = new ProtoReader(bytes);
  while (!reader.done()) {
    const { field, wireType } = reader.tag();
    if (field === VALUE_INFO_NAME_FIELD && wireType === LENGTH_DELIMITED) return decoder.decode(reader.bytes());
    reader.skip(wireType);
  }
  return '';
}

/** Calls `visit` for each top-level field of the model's graph (length-delimited ones with their bytes). */
function forEachGraphField(modelBytes: Uint8Array, visit: (field: number, value: Uint8Array | null) => void): void {
  const model = new ProtoReader(modelBytes);
  let graphs = 0;
  while (!model.done()) {
    const { field, wireType } = model.tag();
    if (field !== MODEL_PROTO_GRAPH_FIELD || wireType !== LENGTH_DELIMITED) {
      model.skip(wireType);
      continue;
    }
    graphs++;
    const graph = new ProtoReader(model.bytes());
    while (!graph.done()) {
      const inner = graph.tag();
      if (inner.wireType === LENGTH_DELIMITED) visit(inner.field, graph.bytes());
      else {
        graph.skip(inner.wireType);
        visit(inner.field, null);
      }
    }
  }
  if (graphs === 0) throw new Error('not an ONNX model: no graph field');
}

/**
 * The default-domain opset a ModelProto imports, read from its top-level fields only (the graph,
 * with the weights, is skipped by its length). null when the bytes are not a ModelProto with one.
 */
export function defaultOpsetOf(modelBytes: Uint8Array): number | null {
  const reader = new ProtoReader(modelBytes);
  let opset: number | null = null;
  try {
    while (!reader.done()) {
      const { field, wireType } = reader.tag();
      if (field === MODEL_PROTO_OPSET_IMPORT_FIELD && wireType === LENGTH_DELIMITED) {
        const entry = new ProtoReader(reader.bytes());
        let domain = '';
        let version: number | null = null;
        while (!entry.done()) {
          const inner = entry.tag();
          if (inner.field === 1 && inner.wireType === LENGTH_DELIMITED) domain = decoder.decode(entry.bytes());
          else if (inner.field === 2 && inner.wireType === 0) version = entry.varint();
          else entry.skip(inner.wireType);
        }
        if ((domain === '' || domain === 'ai.onnx') && version !== null) opset = version;
      } else {
        reader.skip(wireType); // the graph (field 7) included: skipped by its length
      }
    }
  } catch {
    return null;
  }
  return opset;
}

function encodeVarint(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

const totalLength = (parts: readonly Uint8Array[]) => parts.reduce((sum, part) => sum + part.byteLength, 0);

function concatenate(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(totalLength(parts));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Just enough of the protobuf wire format to walk a message's top-level fields. */
class ProtoReader {
  private offset = 0;

  constructor(private readonly buffer: Uint8Array) {}

  get position(): number {
    return this.offset;
  }

  /** The bytes from `start` to the current position (a view). */
  slice(start: number): Uint8Array {
    return this.buffer.subarray(start, this.offset);
  }

  done(): boolean {
    return this.offset >= this.buffer.byteLength;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let index = 0; index < 10; index++) {
      if (this.offset >= this.buffer.byteLength) throw new Error('truncated varint');
      const byte = this.buffer[this.offset++];
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  }

  /** An int64 field: negative values (axis −1) are ten-byte two's complement, beyond a double's exact range. */
  signedVarint(): number {
    let value = 0n;
    for (let index = 0; index < 10; index++) {
      if (this.offset >= this.buffer.byteLength) throw new Error('truncated varint');
      const byte = this.buffer[this.offset++];
      value |= BigInt(byte & 0x7f) << BigInt(7 * index);
      if ((byte & 0x80) === 0) return Number(BigInt.asIntN(64, value));
    }
    throw new Error('varint longer than 10 bytes');
  }

  tag(): { field: number; wireType: number } {
    const tag = this.varint();
    return { field: Math.floor(tag / 8), wireType: tag % 8 };
  }

  bytes(): Uint8Array {
    const length = this.varint();
    const end = this.offset + length;
    if (end > this.buffer.byteLength) throw new Error('truncated field');
    const view = this.buffer.subarray(this.offset, end);
    this.offset = end;
    return view;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.offset += 8;
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.offset += 4;
        return;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
}
