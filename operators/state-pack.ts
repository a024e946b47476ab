/**
 * Changed keyed state packed for a checkpoint (issue 13, peak memory at a million customers).
 *
 * A checkpoint carries every changed customer's state from the shard threads to the main thread
 * and into DuckDB. As one object and one JSON string per row, that was three copies of the state
 * at once (the strings on the shard's heap, the structured clone's buffer, the strings rebuilt on
 * the main thread), each freed only by a later collection. Packed, a block's keys, values and
 * customers are UTF-8 text in one buffer with their ends in another: the buffers are transferred to
 * the main thread, not copied, and the store decodes the strings of one block at a time.
 */
import type { KeyedState, StateRow } from './state.js';

/** One operator state's changed entries, at most `PACK_ROWS` rows or about `PACK_BYTES` of text. */
export interface PackedStateRows {
  operator: string;
  state: string;
  length: number;
  /** Each row's key, then its value (JSON; none when deleted), then its customer (none when null or the key), as UTF-8. */
  text: Uint8Array;
  /** Per row, where its key, its value and its customer end in `text`; each starts where the one before ends. */
  ends: Uint32Array;
  /** Per row: VALUE_DELETED, CUSTOMER_NULL, CUSTOMER_IS_KEY. */
  flags: Uint8Array;
}

const VALUE_DELETED = 1;
const CUSTOMER_NULL = 2;
const CUSTOMER_IS_KEY = 4;

/**
 * Bounds of one block: small enough that decoding one block's strings on the main thread is a
 * short allocation, large enough that a million customers take a few hundred transfers.
 */
export const PACK_ROWS = 8192;
export const PACK_BYTES = 8 * 2 ** 20;

/** Packs the changes of keyed states since their previous drain (KeyedState.drainChanges). */
export function packStateRows(
  operator: string,
  states: Readonly<Record<string, KeyedState<unknown>>>,
  limits: { rows: number; bytes: number } = { rows: PACK_ROWS, bytes: PACK_BYTES },
): PackedStateRows[] {
  const blocks: PackedStateRows[] = [];
  for (const [state, keyed] of Object.entries(states)) {
    const { upserts, deletes } = keyed.drainChanges();
    const packer = new BlockPacker(operator, state, limits, blocks);
    for (const key of deletes) packer.add(key, null, keyed.customerOfDeleted(key));
    keyed.forgetDeleted();
    for (const [key, value] of upserts) packer.add(key, JSON.stringify(value), keyed.customerOfEntry(key, value));
    packer.finish();
  }
  return blocks;
}

/** Fills blocks row by row, closing one when it holds `limits.rows` rows or `limits.bytes` of text. */
class BlockPacker {
  private text: Buffer;
  private used = 0;
  private ends: Uint32Array;
  private flags: Uint8Array;
  private rows = 0;

  constructor(
    private readonly operator: string,
    private readonly state: string,
    private readonly limits: { rows: number; bytes: number },
    private readonly blocks: PackedStateRows[],
  ) {
    this.text = Buffer.allocUnsafeSlow(Math.min(limits.bytes, 64 * 1024));
    this.ends = new Uint32Array(limits.rows * 3);
    this.flags = new Uint8Array(limits.rows);
  }

  add(key: string, value: string | null, customer: string | null): void {
    const at = this.rows * 3;
    let flags = 0;
    this.write(key);
    this.ends[at] = this.used;
    if (value === null) flags |= VALUE_DELETED;
    else this.write(value);
    this.ends[at + 1] = this.used;
    if (customer === null) flags |= CUSTOMER_NULL;
    else if (customer === key) flags |= CUSTOMER_IS_KEY;
    else this.write(customer);
    this.ends[at + 2] = this.used;
    this.flags[this.rows] = flags;
    this.rows++;
    if (this.rows === this.limits.rows || this.used >= this.limits.bytes) this.finish();
  }

  /** Closes the block (when it has rows) as exact-size copies, so that a transfer carries no spare capacity. */
  finish(): void {
    if (this.rows > 0) {
      this.blocks.push({
        operator: this.operator,
        state: this.state,
        length: this.rows,
        text: new Uint8Array(this.text.subarray(0, this.used)),
        ends: this.ends.slice(0, this.rows * 3),
        flags: this.flags.slice(0, this.rows),
      });
    }
    this.used = 0;
    this.rows = 0;
  }

  /** Appends `s` as UTF-8, growing the buffer when it may not fit. */
  private write(s: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const room = this.used + s.length * 3;
    if (room > this.text.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(room, this.text.length * 2));
      this.text.copy(grown, 0, 0, this.used);
      this.text = grown;
    }
    this.used += this.text.write(s, this.used, 'utf8');
  }
}

/** A block's rows as a column reader: each column's strings are decoded when asked for. */
export class PackedStateColumns {
  private readonly text: Buffer;

  constructor(private readonly block: PackedStateRows) {
    this.text = Buffer.from(block.text.buffer, block.text.byteOffset, block.text.byteLength);
  }

  get length(): number {
    return this.block.length;
  }

  /** Every row's key. */
  keys(): string[] {
    const { length, ends } = this.block;
    const keys = new Array<string>(length);
    for (let i = 0; i < length; i++) keys[i] = this.text.toString('utf8', i === 0 ? 0 : ends[i * 3 - 1]!, ends[i * 3]!);
    return keys;
  }

  /** Every row's value (JSON text), null for a deleted entry. */
  values(): Array<string | null> {
    const { length, ends, flags } = this.block;
    const values = new Array<string | null>(length);
    for (let i = 0; i < length; i++) values[i] = flags[i]! & VALUE_DELETED ? null : this.text.toString('utf8', ends[i * 3]!, ends[i * 3 + 1]!);
    return values;
  }

  /** Every row's customer, null for population-level state. */
  customers(keys: readonly string[] = this.keys()): Array<string | null> {
    const { length, ends, flags } = this.block;
    const customers = new Array<string | null>(length);
    for (let i = 0; i < length; i++) {
      const f = flags[i]!;
      customers[i] = f & CUSTOMER_NULL ? null : f & CUSTOMER_IS_KEY ? keys[i]! : this.text.toString('utf8', ends[i * 3 + 1]!, ends[i * 3 + 2]!);
    }
    return customers;
  }
}

/** A block's rows as the objects a checkpoint used to carry (tests, and readers that want rows). */
export function* stateRowsOf(blocks: Iterable<PackedStateRows>): Generator<StateRow> {
  for (const block of blocks) {
    const columns = new PackedStateColumns(block);
    const keys = columns.keys();
    const values = columns.values();
    const customers = columns.customers(keys);
    for (let i = 0; i < block.length; i++) {
      yield { operator: block.operator, state: block.state, key: keys[i]!, value: values[i]!, customer_id: customers[i]! };
    }
  }
}

/** The buffers of packed blocks, to transfer to another thread rather than copy. */
export function packedTransferables(blocks: readonly PackedStateRows[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const { text, ends, flags } of blocks) {
    for (const view of [text, ends, flags]) if (view.buffer instanceof ArrayBuffer) buffers.push(view.buffer);
  }
  return buffers;
}
