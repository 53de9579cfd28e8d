/**
 * A small ONNX graph builder over the protobufjs schema of `onnx-proto`: named inputs, float32 initializers stored as
 * raw_data, nodes with generated output names, and encoding to the bytes onnxruntime loads. Opset 17 (the first with
 * LayerNormalization), IR version 8.
 */
import onnxProto from 'onnx-proto';
import type { onnx as onnxTypes } from 'onnx-proto';

// onnx-proto is CommonJS: its namespace arrives as a property of the default export.
const { onnx } = onnxProto;
type INodeProto = onnxTypes.INodeProto;
type ITensorProto = onnxTypes.ITensorProto;
type IValueInfoProto = onnxTypes.IValueInfoProto;
type IAttributeProto = onnxTypes.IAttributeProto;

export const onnxOpset = 17;
export const onnxIrVersion = 8;

/** A fixed size or a named dynamic one ("N", "L"). */
export type Dim = number | string;
export type ElemType = 'float' | 'int64';

const elemTypes: Record<ElemType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
};

export type Attr =
  { kind: 'int'; value: number } | { kind: 'ints'; value: readonly number[] } | { kind: 'float'; value: number };
export const int = (value: number): Attr => ({ kind: 'int', value });
export const ints = (value: readonly number[]): Attr => ({ kind: 'ints', value });
export const float = (value: number): Attr => ({ kind: 'float', value });

function encodeAttr(name: string, attr: Attr): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (attr.kind) {
    case 'int':
      return { name, type: T.INT, i: attr.value };
    case 'ints':
      return { name, type: T.INTS, ints: [...attr.value] };
    case 'float':
      return { name, type: T.FLOAT, f: attr.value };
  }
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: elemTypes[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class GraphBuilder {
  private readonly nodes: INodeProto[] = [];
  private readonly initializers: ITensorProto[] = [];
  private readonly inputs: IValueInfoProto[] = [];
  private readonly outputs: IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(private readonly name: string) {}

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX graph ${this.name}: name "${name}" used twice`);
    this.used.add(name);
    return name;
  }

  private fresh(hint: string): string {
    let name: string;
    do name = `${hint}_${this.counter++}`;
    while (this.used.has(name));
    return this.claim(name);
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), type, dims));
    return name;
  }

  /** Exposes `value` as the graph output `name` (through an Identity node, so any value can be an output). */
  output(value: string, name: string, type: ElemType, dims: readonly Dim[]): void {
    this.nodes.push({ opType: 'Identity', input: [value], output: [this.claim(name)], name: `output_${name}` });
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A float32 initializer; `data` is referenced, not copied, until encoding. */
  floatInit(name: string, dims: readonly number[], data: Float32Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length)
      throw new Error(`initializer ${name}: dims [${dims.join(', ')}] vs ${data.length} values`);
    this.initializers.push({
      name: this.claim(name),
      dims: [...dims],
      dataType: elemTypes.float,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** A small int64 constant, shared between uses of the same values. */
  int64Const(values: readonly number[], scalar = false): string {
    const key = `i64:${scalar ? 's' : 'v'}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh('const_i64');
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: scalar ? [] : [values.length],
      dataType: elemTypes.int64,
      rawData: new Uint8Array(raw.buffer),
    });
    this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant, shared between uses. */
  floatConst(value: number): string {
    const key = `f32:${value}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh('const_f32');
    this.initializers.push({
      name,
      dims: [],
      dataType: elemTypes.float,
      rawData: new Uint8Array(Float32Array.of(value).buffer),
    });
    this.constants.set(key, name);
    return name;
  }

  /** Adds one node and returns its (single) output name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, hint?: string): string {
    const out = this.fresh(hint ?? opType.toLowerCase());
    this.nodes.push({
      opType,
      input: [...inputs],
      output: [out],
      name: `${opType}_${out}`,
      attribute: Object.entries(attrs).map(([k, v]) => encodeAttr(k, v)),
    });
    return out;
  }

  /** The serialised ModelProto. */
  encode(options: { producer: string; docString?: string; metadata?: Record<string, string> }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: onnxIrVersion,
      opsetImport: [{ domain: '', version: onnxOpset }],
      producerName: options.producer,
      producerVersion: '1',
      docString: options.docString ?? '',
      metadataProps: Object.entries(options.metadata ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
