import { _, Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { eventSchemas } from './event-schemas.js';
import { isInternationalAddress } from './international-address.js';
import {
  CONTACT_CHANNELS,
  DISPOSITIONS,
  EVENT_TYPES,
  NO_REASON,
  type ContactEvent,
  type EventType,
  type ProfileEvent,
  type PulseEvent,
  type RejectReason,
} from './events.js';
import {
  DEFAULT_RECORD_LIMITS,
  RECORD_LIMIT_KEYS,
  UnreadableRecord,
  jsonDeeperThan,
  valueDeeperThan,
  type RawValue,
  type RecordLimits,
} from './record-limits.js';
import { describeTimestamp, isDate, isLeapSecond, parseTimestamp } from './timestamp.js';
import { clipText, wellFormedText } from './text-clip.js';

// ajv-formats ships CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export interface DecodeFailure {
  reason: RejectReason;
  detail: string;
  type: EventType | 'unknown';
}

export type DecodeResult = { ok: true; event: PulseEvent } | ({ ok: false } & DecodeFailure);

/** A refused record inside this module (a class, so it cannot be mistaken for an event). */
class Refusal implements DecodeFailure {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
    readonly type: EventType | 'unknown',
  ) {}
}

type RawObject = Record<string, unknown>;

const PROFILE_KNOWN_FIELDS = new Set(['type', 'event_id', 'ts', 'customer_id', 'account_owner', 'region', 'age_band', 'tier', 'signup_date']);

/**
 * Turns one raw record (a JSON text or an already-split row) into a typed event, or says exactly
 * why not. Schemas are compiled once at construction; `decode` is on the hot path and allocates
 * only the event it returns. `limits` are the job's (`limits` in the job YAML); the decode worker
 * must construct its decoder with the same ones, or the two would judge records differently.
 */
export class EventDecoder {
  private readonly validators: Record<EventType, ValidateFunction>;
  private readonly maxNestingDepth: number;

  constructor(limits: Partial<RecordLimits> = {}) {
    const resolved: RecordLimits = { ...DEFAULT_RECORD_LIMITS, ...limits };
    this.maxNestingDepth = resolved.maxNestingDepth;
    const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
    addFormats(ajv, ['email']);
    // Exactly the times `toMillis` can convert, so a valid record never gets a NaN time.
    ajv.addFormat('date-time', { type: 'string', validate: (text: string) => !Number.isNaN(parsedTimestamp(text)) });
    const email = ajv.formats['email'] as RegExp;
    ajv.addFormat('account-owner', { type: 'string', validate: (text: string) => text.trim() === '' || email.test(text) || isInternationalAddress(text) });
    ajv.addFormat('signup-date', { type: 'string', validate: (text: string) => isDate(text) || !Number.isNaN(parsedTimestamp(text)) });
    // A code keyword: ajv inlines the check. With a `validate` function it called the function
    // with a context object and a concatenated instance path, allocated for every string field of
    // every record.
    ajv.addKeyword({
      keyword: 'wellFormedUnicode',
      type: 'string',
      schemaType: 'boolean',
      code: (cxt) => {
        if (cxt.schema === true) cxt.fail(_`!${cxt.data}.isWellFormed()`);
      },
    });
    // Ids and grouping keys must name something: one of only spaces is a producer's empty value,
    // and a control character (a tab, a NUL) is a broken export; either would group records under
    // a key nobody can read back or type in `pulse cases --customer`.
    ajv.addKeyword({
      keyword: 'printable',
      type: 'string',
      schemaType: 'boolean',
      code: (cxt) => {
        if (cxt.schema !== true) return;
        const unprintable = cxt.gen.scopeValue('pattern', { key: UNPRINTABLE_ID.source, ref: UNPRINTABLE_ID });
        cxt.fail(_`${unprintable}.test(${cxt.data})`);
      },
    });
    const schemas = eventSchemas(resolved);
    this.validators = Object.fromEntries(EVENT_TYPES.map((type) => [type, ajv.compile(schemas[type])])) as Record<EventType, ValidateFunction>;
  }

  /** Why the last `decodeEvent` returned null. */
  lastFailure: DecodeFailure = { reason: 'invalid_json', detail: '', type: 'unknown' };

  decode(value: RawValue): DecodeResult {
    const event = this.decodeEvent(value);
    return event === null ? { ok: false, ...this.lastFailure } : { ok: true, event };
  }

  /**
   * The hot-path form of `decode`: the event, or null with the reason in `lastFailure`. It
   * allocates no result wrapper per record (at 10^5-10^6 records/s those add up in GC time).
   */
  decodeEvent(value: RawValue): PulseEvent | null {
    const result = this.decodeRecord(value);
    if (result instanceof Refusal) {
      this.lastFailure = { reason: result.reason, detail: result.detail, type: result.type };
      return null;
    }
    return result;
  }

  private decodeRecord(value: RawValue): PulseEvent | Refusal {
    let record: unknown;
    if (typeof value === 'string') {
      // Before parsing: JSON.parse copes with any depth, but what is done with the result later
      // (structured clone to the main thread, JSON.stringify) recurses and runs out of stack.
      if (jsonDeeperThan(value, this.maxNestingDepth)) return this.tooDeep();
      try {
        record = JSON.parse(value);
      } catch (error) {
        const message = (error as Error).message;
        // `{...}{...}`: a writer that left out the newline between two records.
        const hint = message.includes('after JSON') ? ' (two records on one line? NDJSON holds one record per line)' : '';
        return reject('invalid_json', `not valid JSON: ${message}${hint}`, 'unknown');
      }
    } else if (value instanceof UnreadableRecord) {
      return reject(value.reason, value.detail, 'unknown');
    } else {
      if (valueDeeperThan(value, this.maxNestingDepth)) return this.tooDeep();
      record = value;
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      return reject('invalid_json', 'a record must be a JSON object', 'unknown');
    }
    const raw = record as RawObject;
    const type = knownCase(raw, 'type', EVENT_TYPES);
    if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
      return type === undefined
        ? reject('missing_field', "field 'type' is missing", 'unknown')
        : reject('unknown_type', `field 'type': ${JSON.stringify(type)} is not one of ${EVENT_TYPES.join(', ')}`, 'unknown');
    }
    const eventType = type as EventType;
    if (eventType === 'contact') {
      knownCase(raw, 'channel', CONTACT_CHANNELS);
      knownCase(raw, 'disposition', DISPOSITIONS);
    }
    const validate = this.validators[eventType];
    if (!validate(raw)) return rejectFromSchema(validate.errors?.[0], eventType, raw);
    return toEvent(eventType, raw);
  }

  private tooDeep(): Refusal {
    return reject('too_large', `arrays and objects nest more than ${this.maxNestingDepth} levels deep (${RECORD_LIMIT_KEYS.maxNestingDepth})`, 'unknown');
  }
}

function reject(reason: RejectReason, detail: string, type: EventType | 'unknown'): Refusal {
  return new Refusal(reason, detail, type);
}

/** The limit (job YAML key) behind a numeric bound of each bounded field. */
/** What a field of a fixed form must be, said in the detail of a record its `pattern` or `format` refused. */
const FIELD_FORMS: ReadonlyMap<string, string> = new Map([
  ['currency', 'must be a three-letter ISO 4217 code (EUR)'],
  ['account_owner', 'must be an e-mail address (or empty for none)'],
  ['signup_date', 'must be a date (2024-03-01) or an RFC 3339 timestamp'],
]);

/** A C0 or C1 control character (DEL included). */
// eslint-disable-next-line no-control-regex -- finding them is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
/** An id of only white space, or one holding a control character. */
const UNPRINTABLE_ID = new RegExp(`^\\s*$|${CONTROL_CHARACTER.source}`);

/** What is wrong with an id the `printable` keyword refused. */
function unprintableDetail(value: unknown): string {
  const text = String(value);
  const control = CONTROL_CHARACTER.exec(text);
  if (control === null) return `is blank (${describeValue(value)}): an id must have a character other than spaces`;
  const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `holds the control character U+${code} at character ${control.index + 1} (${describeValue(value)}): an id must be printable text`;
}

const NUMERIC_LIMITS: Readonly<Record<string, keyof RecordLimits>> = {
  amount: 'maxAmount',
  quantity: 'maxQuantity',
  hold_seconds: 'maxContactSeconds',
  acw_seconds: 'maxContactSeconds',
  answers: 'maxSurveyAnswer',
};

/** The value at a field's path in the record (undefined when a step is missing). */
function valueAt(raw: RawObject, path: readonly string[]): unknown {
  let value: unknown = raw;
  for (const step of path) value = value !== null && typeof value === 'object' ? (value as RawObject)[step] : undefined;
  return value;
}

/** A value as a person reads it in a dead letter's detail: JSON, cut to 40 characters. */
function describeValue(value: unknown): string {
  // JSON.parse reads 1e309 as Infinity, which JSON.stringify would show as null; a Parquet or Arrow
  // column can hold NaN, which is no number at all.
  if (Number.isNaN(value)) return 'NaN (not a number)';
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value} (a number beyond the largest a double holds, such as 1e309)`;
  return clipText(JSON.stringify(value) ?? String(value), 43, '...');
}

/**
 * The field's value, written as SPEC lists it when it is one of `values` in another case or with
 * spaces around it (`Voice`, `RESOLVED`, `Transaction`): exports capitalise them, and a record is
 * not wrong for that. Any other value is left as it is, for the schema to judge.
 */
function knownCase(raw: RawObject, field: string, values: readonly string[]): unknown {
  const value = raw[field];
  if (typeof value !== 'string' || values.includes(value)) return value;
  const lower = value.trim().toLowerCase();
  if (values.includes(lower)) raw[field] = lower;
  return raw[field];
}

function rejectFromSchema(error: ErrorObject | undefined, type: EventType, raw: RawObject): Refusal {
  if (!error) return reject('wrong_type', 'record does not match the schema', type);
  if (error.keyword === 'required') {
    const field = String(error.params['missingProperty']);
    return reject('missing_field', `field '${field}' is missing (required for ${type})`, type);
  }
  const path = error.instancePath.replace(/^\//, '').split('/');
  const field = path.join('.') || '(record)';
  if (field === 'ts' || field.endsWith('_at')) {
    // Time fields accept two forms; ajv reports the first branch that failed, which would mislead.
    const value = raw[field];
    if (typeof value === 'string') {
      // A leap second is well-formed, just not representable; anything else is the wrong form.
      return reject(isLeapSecond(value) ? 'impossible_value' : 'wrong_type', `field '${field}' ${describeTimestamp(value)}`, type);
    }
    return reject('wrong_type', `field '${field}' must be an RFC 3339 timestamp with offset or non-negative epoch milliseconds`, type);
  }
  const form = error.keyword === 'pattern' || error.keyword === 'format' ? FIELD_FORMS.get(field) : undefined;
  if (form !== undefined) return reject('impossible_value', `field '${field}' ${form}, got ${describeValue(valueAt(raw, path))}`, type);
  switch (error.keyword) {
    case 'type':
      return reject('wrong_type', `field '${field}' ${error.message ?? 'has the wrong type'}, got ${describeValue(valueAt(raw, path))}`, type);
    case 'enum': {
      const allowed = (error.params['allowedValues'] as unknown[]).map(String).join(', ');
      return reject('impossible_value', `field '${field}' is ${describeValue(valueAt(raw, path))}, not one of ${allowed}`, type);
    }
    case 'maxLength':
      return reject('impossible_value', `field '${field}' is longer than ${String(error.params['limit'])} characters (${RECORD_LIMIT_KEYS.maxIdLength})`, type);
    case 'printable':
      return reject('impossible_value', `field '${field}' ${unprintableDetail(valueAt(raw, path))}`, type);
    case 'wellFormedUnicode':
      return reject(
        'impossible_value',
        `field '${field}' holds an unpaired UTF-16 surrogate (a \\ud800-\\udfff escape on its own), which cannot be stored exactly`,
        type,
      );
    case 'maximum':
    case 'minimum': {
      const limit = NUMERIC_LIMITS[path[0]!];
      // quantity >= 0 and the contact times >= 0 are rules of SPEC section 1, not limits.
      const configured = limit !== undefined && (error.keyword === 'maximum' || Number(error.params['limit']) < 0);
      const detail = `field '${field}' ${error.message ?? 'is out of range'}`;
      return reject('impossible_value', configured ? `${detail} (${RECORD_LIMIT_KEYS[limit]})` : detail, type);
    }
    default:
      return reject('impossible_value', `field '${field}' ${error.message ?? 'is invalid'}`, type);
  }
}

/**
 * The last time parsed, kept so that the conversion after validation reads it instead of parsing
 * the same string again (most events have one time field; this runs for every record).
 */
let lastText: string | undefined;
let lastMillis = Number.NaN;

function parsedTimestamp(text: string): number {
  if (text !== lastText) {
    lastMillis = parseTimestamp(text);
    lastText = text;
  }
  return lastMillis;
}

/** Epoch ms of a validated time value (the schema's formats guarantee it converts: never NaN). */
function toMillis(value: unknown): number {
  return typeof value === 'number' ? value : parsedTimestamp(value as string);
}

/** A validated account owner: an e-mail address, or null for none (exports write a missing one as ""). */
/** A profile's text attribute; blank (`""`, spaces: an export's empty cell) is none, as null. */
function profileText(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** A validated signup date: a date as is, a timestamp's date as written (`2024-03-01T23:00:00-05:00` is 2024-03-01). */
function signupDate(value: unknown): string | null {
  return typeof value === 'string' ? value.slice(0, 10) : null;
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Free text (a transcript, a comment), lone surrogates made U+FFFD (operators/text-clip.ts). */
function optionalFreeText(value: unknown): string | null {
  return typeof value === 'string' ? wellFormedText(value) : null;
}

/** A survey's text answers with lone surrogates made U+FFFD, in place. */
function wellFormedAnswers(answers: RawObject): void {
  for (const [question, answer] of Object.entries(answers)) if (typeof answer === 'string') answers[question] = wellFormedText(answer);
}

/**
 * Normalises the validated record in place into the typed event: JSON.parse already allocated it,
 * and a copy per event costs measurable garbage-collection time at hundreds of thousands of events
 * per second. Times become epoch ms; optional fields become null.
 */
function toEvent(type: EventType, raw: RawObject): PulseEvent | Refusal {
  switch (type) {
    case 'transaction':
      raw['ts'] = toMillis(raw['ts']);
      raw['currency'] = typeof raw['currency'] === 'string' ? raw['currency'].toUpperCase() : null;
      raw['category'] ??= null;
      return raw as unknown as PulseEvent;
    case 'usage':
      raw['ts'] = toMillis(raw['ts']);
      return raw as unknown as PulseEvent;
    case 'contact':
      return toContact(raw['event_id'] as string, raw);
    case 'survey':
      raw['ts'] = toMillis(raw['ts']);
      raw['comment'] = optionalFreeText(raw['comment']);
      wellFormedAnswers(raw['answers'] as RawObject);
      return raw as unknown as PulseEvent;
    case 'profile':
      return toProfile(raw['event_id'] as string, raw);
  }
}

function toContact(event_id: string, raw: RawObject): ContactEvent | Refusal {
  const queued_at = toMillis(raw['queued_at']);
  const answered_at = raw['answered_at'] == null ? null : toMillis(raw['answered_at']);
  const ended_at = toMillis(raw['ended_at']);
  if (answered_at !== null && answered_at < queued_at) {
    return reject('impossible_value', "field 'answered_at' is before 'queued_at'", 'contact');
  }
  if (ended_at < (answered_at ?? queued_at)) {
    return reject('impossible_value', `field 'ended_at' is before '${answered_at === null ? 'queued_at' : 'answered_at'}'`, 'contact');
  }
  const event: ContactEvent = {
    type: 'contact',
    event_id,
    ts: queued_at,
    customer_id: (raw['customer_id'] as string | null | undefined) ?? null,
    contact_id: raw['contact_id'] as string,
    channel: raw['channel'] as ContactEvent['channel'],
    queue: raw['queue'] as string,
    reason: typeof raw['reason'] === 'string' && raw['reason'].trim() !== '' ? raw['reason'] : NO_REASON,
    agent_id: optionalString(raw['agent_id']),
    queued_at,
    answered_at,
    ended_at,
    hold_seconds: (raw['hold_seconds'] as number | null | undefined) ?? 0,
    acw_seconds: (raw['acw_seconds'] as number | null | undefined) ?? 0,
    disposition: raw['disposition'] as ContactEvent['disposition'],
    text: optionalFreeText(raw['text']),
  };
  return event;
}

function toProfile(event_id: string, raw: RawObject): ProfileEvent {
  // Without a prototype: an attribute named `__proto__` (valid input) is kept like any other, where
  // an ordinary object took the assignment as a prototype change and dropped the value.
  const attributes = Object.create(null) as Record<string, string | null>;
  for (const [key, value] of Object.entries(raw)) {
    if (!PROFILE_KNOWN_FIELDS.has(key) && value !== undefined) attributes[key] = value === null ? null : wellFormedText(String(value));
  }
  // A field the record leaves out stays undefined: the customer keeps what an earlier event set.
  const carried = <T>(field: string, read: (value: unknown) => T): T | undefined => (Object.hasOwn(raw, field) ? read(raw[field]) : undefined);
  return {
    type: 'profile',
    event_id,
    ts: toMillis(raw['ts']),
    customer_id: raw['customer_id'] as string,
    account_owner: carried('account_owner', profileText),
    region: carried('region', profileText),
    age_band: carried('age_band', profileText),
    tier: carried('tier', profileText),
    signup_date: carried('signup_date', signupDate),
    attributes,
  };
}
