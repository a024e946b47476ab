/**
 * Operator outputs that can cross to another thread. Column outputs (customer windows) read the
 * operator's own arrays lazily, which a structured clone cannot carry: a shard on a worker thread
 * turns them into plain columns (numbers as Float64Arrays, whose buffers are transferred, not
 * copied), and the main thread wraps them back into `OutputColumns` for the store.
 */
import type { OperatorOutput, OutputColumns, OutputKind, OutputRow } from '../../operators/operator.js';

export interface MaterializedColumns {
  length: number;
  names: string[];
  data: Record<string, ArrayLike<OutputRow[string]>>;
}

export type PortableOutput = OperatorOutput | { kind: OutputKind; materialized: MaterializedColumns };

/** Reads every column of a column output into plain arrays; row outputs pass as they are. */
export function materializeColumns(output: OperatorOutput): PortableOutput {
  const { columns } = output;
  if (columns === undefined) return { kind: output.kind, rows: output.rows };
  const data: MaterializedColumns['data'] = {};
  for (const name of columns.names) data[name] = columns.column(name);
  return { kind: output.kind, materialized: { length: columns.length, names: [...columns.names], data } };
}

/** The buffers of a portable output's number columns, to transfer rather than copy. */
export function transferables(outputs: readonly PortableOutput[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const output of outputs) {
    if (!('materialized' in output)) continue;
    for (const column of Object.values(output.materialized.data)) {
      if (column instanceof Float64Array && column.buffer instanceof ArrayBuffer) buffers.push(column.buffer);
    }
  }
  return buffers;
}

/** A portable output back as an operator output. */
export function fromPortable(output: PortableOutput): OperatorOutput {
  if (!('materialized' in output)) return output;
  const { length, names, data } = output.materialized;
  const columns: OutputColumns = { length, names, column: (name) => data[name] ?? new Array<null>(length).fill(null) };
  let rows: OutputRow[] | undefined;
  return {
    kind: output.kind,
    columns,
    get rows() {
      rows ??= Array.from({ length }, (_, i) => Object.fromEntries(names.map((name) => [name, data[name]![i] ?? null])) as OutputRow);
      return rows;
    },
  };
}
