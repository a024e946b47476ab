/**
 * The text form of a keyed-state value, as checkpoints store it in `pulse_state.value` (issue 13:
 * cheap checkpoints).
 *
 * `JSON.stringify` of a customer's state spent about 3/4 of its time printing doubles (V8 prints
 * the shortest digits that read back exactly: `57.120000000000005`). Here the doubles go into one
 * scratch buffer as their 8 bytes (little-endian) and leave as one base64 string, and the rest of
 * the value stays JSON that `JSON.stringify` prints fast (integers, strings, structure):
 *
 *     {"\u0001f64":"<base64 of the doubles>","v":<the value, with placeholders where doubles were>}
 *
 * What is packed, wherever it is in the value: an array of numbers holding at least 4 numbers that
 * are not 32-bit integers (fractions, millisecond timestamps: V8 prints each of those in about
 * 100 ns, a small integer in 10-25), or any -0, NaN or ±Infinity, becomes the placeholder string
 * `"\u0001<first>:<count>"`; a number outside such
 * an array is packed only when JSON cannot hold it (NaN, ±Infinity, -0: `"\u0001<index>"`), so it
 * comes back as it was instead of as null or 0. A string of the value that starts with \u0001 is
 * stored with a second \u0001 in front. A value with nothing to pack is stored as plain JSON, as
 * every value was before this codec; `decodeStateValue` reads both forms.
 *
 * Exact: every double comes back bit for bit. Only plain objects and arrays are walked; any other
 * object (a Date, a class instance) is left to `JSON.stringify` as before, and state must not
 * hold those anyway (operators/state.ts).
 */

const MARK = '\u0001';
const MARK_CODE = 1;
/** The envelope's key for the packed doubles; the value is under "v". */
const DOUBLES_KEY = `${MARK}f64`;
/** How an enveloped value's text starts: what tells it from plain JSON. */
const ENVELOPE_START = `{${JSON.stringify(DOUBLES_KEY)}:"`;
/**
 * An array is packed from this many numbers V8 prints slowly: below it, the envelope and the base64
 * cost more than printing them (the drift operator's monthly spend, one or two fractions in twelve).
 */
const MIN_SLOW_NUMBERS = 4;
/** State is a few levels deep; deeper is a cycle or a mistake, refused before the stack runs out. */
const MAX_DEPTH = 256;

/** Stored bytes are little-endian; a big-endian host swaps them on the way out (they are read with readDoubleLE). */
const BIG_ENDIAN = new Uint8Array(new Float64Array([-0]).buffer)[0] === 0x80;

export class StateCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateCodecError';
  }
}

/** The doubles of the value being encoded; one buffer reused for every value (encoding is synchronous). */
let scratch = new Float64Array(1024);
let used = 0;
/** Whether the value being encoded had a string that needed its mark doubled. */
let escaped = false;

/** The text to store for a keyed-state value: valid JSON (see the module comment for its form). */
export function encodeStateValue(value: unknown): string {
  used = 0;
  escaped = false;
  const packed = pack(value, 0);
  if (used === 0 && !escaped && !hasDoublesKey(value)) return JSON.stringify(packed);
  const bytes = Buffer.from(scratch.buffer, 0, used * 8);
  if (BIG_ENDIAN) bytes.swap64();
  return `${ENVELOPE_START}${bytes.toString('base64')}","v":${JSON.stringify(packed)}}`;
}

/** The value a stored text stands for: plain JSON (any version) or the packed form. */
export function decodeStateValue(text: string): unknown {
  if (!text.startsWith(ENVELOPE_START)) return JSON.parse(text);
  const envelope = JSON.parse(text) as Record<string, unknown>;
  const base64 = envelope[DOUBLES_KEY];
  if (typeof base64 !== 'string' || !('v' in envelope)) throw new StateCodecError(`packed state value without its doubles or its value: ${text.slice(0, 120)}`);
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length % 8 !== 0)
    throw new StateCodecError(`packed state value whose doubles are ${bytes.length} bytes, not a multiple of 8: ${text.slice(0, 120)}`);
  return unpack(envelope['v'], bytes, 0);
}

/** A top-level object that has the envelope's key must be enveloped, or it would be read as one. */
function hasDoublesKey(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, DOUBLES_KEY);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** What JSON prints as something else: NaN and ±Infinity (as null), -0 (as 0). */
function jsonLoses(x: number): boolean {
  return x - x !== 0 || (x === 0 && 1 / x < 0);
}

/** `value` with its doubles moved to `scratch` (plain objects copied, arrays copied when an item changed). */
function pack(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'number':
      return jsonLoses(value) ? MARK + String(push(value)) : value;
    case 'string':
      if (value.charCodeAt(0) !== MARK_CODE) return value;
      escaped = true;
      return MARK + value;
    case 'object':
      if (value === null) return value;
      if (depth > MAX_DEPTH) throw new StateCodecError(`state value nested deeper than ${MAX_DEPTH} levels (does it refer to itself?)`);
      if (Array.isArray(value)) return packArray(value, depth);
      return isPlainObject(value) ? packObject(value, depth) : value;
    default:
      return value;
  }
}

function packArray(array: unknown[], depth: number): unknown {
  const n = array.length;
  // Optimistically copied while checked: one pass over an array of numbers.
  reserve(n);
  let slow = 0;
  let lossy = false;
  for (let i = 0; i < n; i++) {
    const x = array[i];
    if (typeof x !== 'number') return packItems(array, depth);
    scratch[used + i] = x;
    if ((x | 0) !== x) {
      slow++;
      if (x - x !== 0) lossy = true;
    } else if (x === 0 && 1 / x < 0) lossy = true;
  }
  if (slow < MIN_SLOW_NUMBERS && !lossy) return array;
  const first = used;
  used += n;
  return `${MARK}${first}:${n}`;
}

/** An array that is not all numbers: its items packed one by one. */
function packItems(array: unknown[], depth: number): unknown {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const x = array[i];
    const packed = pack(x, depth + 1);
    if (packed !== x) (copy ??= array.slice())[i] = packed;
  }
  return copy ?? array;
}

/**
 * A fresh copy of a plain object, its values packed. Always a copy: state objects that lost a
 * property (`delete`) are in V8's dictionary mode, slow to walk in place and slow for
 * `JSON.stringify`; a copy built key by key is a fast-mode object (measured on shift state: 22 µs
 * per value walked in place, JSON.stringify's own speed, against 11 µs for the fresh copy).
 */
function packObject(object: Record<string, unknown>, depth: number): Record<string, unknown> {
  const keys = Object.keys(object);
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const packed = pack(object[key], depth + 1);
    if (key === '__proto__') Object.defineProperty(copy, key, { value: packed, enumerable: true, writable: true, configurable: true });
    else copy[key] = packed;
  }
  return copy;
}

function push(x: number): number {
  reserve(1);
  scratch[used] = x;
  return used++;
}

function reserve(n: number): void {
  if (used + n <= scratch.length) return;
  const grown = new Float64Array(Math.max(scratch.length * 2, used + n));
  grown.set(scratch.subarray(0, used));
  scratch = grown;
}

/** `value` (freshly parsed, so changed in place) with its placeholders replaced by their doubles. */
function unpack(value: unknown, doubles: Buffer, depth: number): unknown {
  if (typeof value === 'string') return value.charCodeAt(0) === MARK_CODE ? placeholder(value, doubles) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) throw new StateCodecError(`packed state value nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = unpack(value[i], doubles, depth + 1);
  } else {
    const object = value as Record<string, unknown>;
    for (const key in object) object[key] = unpack(object[key], doubles, depth + 1);
  }
  return value;
}

/** A placeholder's text after its mark (checked by the caller): the index of its first double, and the count for an array. */
const PLACEHOLDER = /^.(\d{1,15})(?::(\d{1,15}))?$/;

/** An escaped string, one double, or an array of doubles (read little-endian from `doubles`, whatever the host). */
function placeholder(text: string, doubles: Buffer): unknown {
  if (text.charCodeAt(1) === MARK_CODE) return text.slice(1);
  const match = PLACEHOLDER.exec(text);
  const first = Number(match?.[1]);
  const count = match?.[2] === undefined ? 1 : Number(match[2]);
  if (!match || (first + count) * 8 > doubles.length) {
    throw new StateCodecError(`packed state value with a bad placeholder ${JSON.stringify(text)} (${doubles.length / 8} doubles stored)`);
  }
  if (match[2] === undefined) return doubles.readDoubleLE(first * 8);
  const array = new Array<number>(count);
  for (let i = 0; i < count; i++) array[i] = doubles.readDoubleLE((first + i) * 8);
  return array;
}
