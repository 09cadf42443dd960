/** A small imperative helper for assembling ONNX graphs: it names values, records nodes and initializers. */
import {
  OnnxAttributeType,
  OnnxDataType,
  type OnnxAttribute,
  type OnnxDataTypeCode,
  type OnnxDimension,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-proto';
import { littleEndianBytes } from './tensor-bytes';

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'string'; value: string };

export const intAttr = (value: number): AttributeValue => ({ kind: 'int', value });
export const floatAttr = (value: number): AttributeValue => ({ kind: 'float', value });
export const intsAttr = (value: readonly number[]): AttributeValue => ({ kind: 'ints', value });
export const stringAttr = (value: string): AttributeValue => ({ kind: 'string', value });

function toOnnxAttribute(name: string, attribute: AttributeValue): OnnxAttribute {
  switch (attribute.kind) {
    case 'int':
      return { name, type: OnnxAttributeType.INT, i: attribute.value };
    case 'float':
      return { name, type: OnnxAttributeType.FLOAT, f: attribute.value };
    case 'ints':
      return { name, type: OnnxAttributeType.INTS, ints: [...attribute.value] };
    case 'string':
      return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(attribute.value) };
  }
}

export type ShapeSpec = ReadonlyArray<number | string>;

export function valueInfo(name: string, elemType: OnnxDataTypeCode, shape: ShapeSpec): OnnxValueInfo {
  const dim: OnnxDimension[] = shape.map((size) =>
    typeof size === 'number' ? { dim_value: size } : { dim_param: size },
  );
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim } } } };
}

export interface NodeOptions {
  domain?: string;
  /** Base for the node and output names; defaults to the op type. */
  name?: string;
  /** Exact output names (graph outputs must keep their public names). */
  outputs?: readonly string[];
  outputCount?: number;
}

export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly usedNames = new Set<string>();
  private readonly scalarCache = new Map<string, string>();

  /** Returns `base`, or `base_2`, `base_3`, … when taken, so every value name stays unique. */
  uniqueName(base: string): string {
    let candidate = base;
    for (let suffix = 2; this.usedNames.has(candidate); suffix++) candidate = `${base}_${suffix}`;
    this.usedNames.add(candidate);
    return candidate;
  }

  reserveName(name: string): void {
    if (this.usedNames.has(name)) throw new Error(`ONNX value name used twice: ${name}`);
    this.usedNames.add(name);
  }

  addInitializer(
    name: string,
    dataType: OnnxDataTypeCode,
    dims: readonly number[],
    values: Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array,
  ): string {
    const elementCount = dims.reduce((product, size) => product * size, 1);
    if (values.length !== elementCount) {
      throw new Error(`Initializer ${name}: ${values.length} values for dims [${dims.join(', ')}]`);
    }
    const uniqueName = this.uniqueName(name);
    this.initializers.push({ name: uniqueName, dims: [...dims], data_type: dataType, raw_data: littleEndianBytes(values) });
    return uniqueName;
  }

  floatTensor(name: string, dims: readonly number[], values: Float32Array | readonly number[]): string {
    return this.addInitializer(name, OnnxDataType.FLOAT, dims, Float32Array.from(values));
  }

  int64Tensor(name: string, dims: readonly number[], values: readonly number[]): string {
    return this.addInitializer(name, OnnxDataType.INT64, dims, BigInt64Array.from(values, (value) => BigInt(value)));
  }

  /** A shared 1-D int64 constant, e.g. Reshape targets and Unsqueeze axes. */
  int64Vector(values: readonly number[]): string {
    return this.cached(`int64[${values.join(',')}]`, () =>
      this.int64Tensor(`const_i64_${values.join('_').replaceAll('-', 'm')}`, [values.length], values),
    );
  }

  /** A shared 0-D int64 constant. */
  int64Scalar(value: number): string {
    return this.cached(`int64(${value})`, () => this.int64Tensor(`const_i64_scalar_${value}`.replaceAll('-', 'm'), [], [value]));
  }

  /** A shared 0-D float constant. */
  floatScalar(value: number): string {
    return this.cached(`float(${value})`, () =>
      this.floatTensor(`const_f32_${String(value).replaceAll(/[^0-9a-zA-Z]/g, '_')}`, [], [value]),
    );
  }

  private cached(key: string, create: () => string): string {
    let name = this.scalarCache.get(key);
    if (name === undefined) {
      name = create();
      this.scalarCache.set(key, name);
    }
    return name;
  }

  /** Adds a node and returns its output names. */
  nodeOutputs(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    options: NodeOptions = {},
  ): string[] {
    const baseName = options.name ?? opType;
    const nodeName = this.uniqueName(`${baseName}/node`);
    let outputs: string[];
    if (options.outputs) {
      for (const output of options.outputs) this.reserveName(output);
      outputs = [...options.outputs];
    } else {
      const count = options.outputCount ?? 1;
      outputs = Array.from({ length: count }, (_, index) => this.uniqueName(count === 1 ? baseName : `${baseName}:${index}`));
    }
    this.nodes.push({
      name: nodeName,
      op_type: opType,
      ...(options.domain ? { domain: options.domain } : {}),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attributes).map(([name, value]) => toOnnxAttribute(name, value)),
    });
    return outputs;
  }

  /** Adds a single-output node and returns the output name. */
  node(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, options: NodeOptions = {}): string {
    return this.nodeOutputs(opType, inputs, attributes, { ...options, outputCount: 1 })[0];
  }
}
