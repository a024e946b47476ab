/**
 * Configuration schemas: every component declares its options once, as a TypeBox schema, and gets
 * from that one declaration the validator (the shared Ajv instance below), the TypeScript type
 * (`Static<typeof SCHEMA>`), the defaults (`default:`, filled in by the validator) and the README's
 * option tables (`npm run docs:options`). Errors come out of one formatter that says what is wrong,
 * where (the YAML path), and what is allowed.
 */
import {
  Type,
  type SchemaOptions,
  type Static,
  type StringOptions,
  type TLiteral,
  type TObject,
  type TProperties,
  type TSchema,
  type TUnion,
} from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { DURATION_PATTERN } from '../duration.js';
import { ConfigError } from '../errors.js';
import { closest, distance } from 'fastest-levenshtein';

export { Type, type Static, type TObject, type TProperties, type TSchema };

/**
 * The one Ajv instance for configuration (the record decoder, operators/decode.ts, has its own: it
 * validates events on the hot path with other options).
 * coerceTypes: values substituted from environment variables arrive as strings (e.g. a port).
 * allErrors + verbose: pick the most useful error of all and quote the offending value.
 * useDefaults: the schema's `default:` values are filled in, so the code reads complete objects.
 */
export const configAjv = new Ajv({
  allErrors: true,
  verbose: true,
  useDefaults: true,
  coerceTypes: true,
  strict: false,
  allowUnionTypes: true,
  // TaggedUnion (alert receivers by `type`): only the branch of that type reports errors.
  discriminator: true,
});

const DURATION_EXAMPLES = '30s, 15m, 1h, 1h30m, 1d or 1w';

/** A duration such as `30s`, `15m` or `1h30m`: the one duration type of every configuration (operators/duration.ts parses it). */
export function Duration(options: StringOptions = {}) {
  return Type.String({ pattern: DURATION_PATTERN, ...options });
}

/** One of a fixed list of strings, as a JSON Schema `enum` (its error lists what is allowed; a union of literals would not). */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/**
 * One of several mappings, told apart by the value of their `tag` key (a Type.Literal in each): a
 * JSON Schema `oneOf` with Ajv's `discriminator`, so only the branch of that tag reports errors (a
 * plain union would report every branch's), and an unknown tag is named with the allowed ones.
 * The type is the union of the branches' types.
 */
export function TaggedUnion<K extends string, T extends Array<TObject & { properties: Record<K, TLiteral<string>> }>>(
  tag: K,
  branches: [...T],
  options: SchemaOptions = {},
) {
  return Type.Unsafe<Static<TUnion<T>>>({
    type: 'object',
    required: [tag],
    properties: { [tag]: { type: 'string', enum: branches.map((b) => b.properties[tag].const) } },
    discriminator: { propertyName: tag },
    oneOf: branches,
    ...options,
  });
}

/**
 * Validates a value against a schema and returns it typed, defaults filled in; throws the error
 * `toError` makes of the first problem (given here, it replaces the one given at compile time).
 */
export type ConfigCheck<T> = (value: unknown, root?: string, toError?: (problem: ConfigProblem) => ConfigError) => T;

/** Where a configuration is wrong (its YAML path) and what is wrong there, with what is allowed. */
export interface ConfigProblem {
  path: string;
  detail: string;
}

const configError = ({ path, detail }: ConfigProblem): ConfigError => new ConfigError(`${path}: ${detail}`);

/**
 * Compiles a schema once (at module load) into a check; `root` prefixes the YAML paths of its
 * messages, `toError` lets a component throw its own subclass of ConfigError.
 */
export function compileConfig<S extends TSchema>(schema: S, toError: (problem: ConfigProblem) => ConfigError = configError): ConfigCheck<Static<S>> {
  const validate = configAjv.compile(schema);
  return (value, root = '', toErrorHere = toError) => {
    if (!validate(value)) throw toErrorHere(describeConfigError(validate.errors, value, root));
    return value as Static<S>;
  };
}

/**
 * The most useful of Ajv's errors, as a path and a sentence: an unknown key first (usually a typo
 * of the missing one), then a missing key, then an `anyOf` summary (rather than one of its branches).
 */
export function describeConfigError(errors: readonly ErrorObject[] | null | undefined, data: unknown, root = ''): ConfigProblem {
  const rank = (e: ErrorObject): number => (e.keyword === 'additionalProperties' ? 0 : e.keyword === 'required' ? 1 : e.keyword === 'anyOf' ? 2 : 3);
  const error = [...(errors ?? [])].sort((a, b) => rank(a) - rank(b))[0];
  if (!error) return { path: root || '(top level)', detail: 'invalid configuration' };
  const at = yamlPath(root, error.instancePath, data);
  if (error.keyword === 'additionalProperties') {
    // The path ends at the unknown key itself, where the reader has to look.
    const key = String((error.params as Record<string, unknown>)['additionalProperty']);
    return { path: at ? `${at}.${key}` : key, detail: problemOf(error) };
  }
  return { path: at || '(top level)', detail: problemOf(error) };
}

/**
 * The one of `allowed` that `word` is likely a typo of, if any: a typo is a few edits from the
 * word meant (`operator`, `max_out_of_ordernes`); a word of another list is not, and naming one
 * would mislead.
 */
export function likelyMeant(word: string, allowed: readonly string[]): string | undefined {
  if (allowed.length === 0) return undefined;
  const guess = closest(word, [...allowed]);
  return distance(word, guess) <= Math.max(2, Math.floor(word.length / 4)) ? guess : undefined;
}

function problemOf(error: ErrorObject): string {
  const shown = JSON.stringify(error.data);
  const params = error.params as Record<string, unknown>;
  const schema = error.parentSchema as { description?: unknown; properties?: object; pattern?: unknown; items?: unknown } | undefined;
  switch (error.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys(schema?.properties ?? {});
      if (allowed.length === 0) return 'unknown key';
      const guess = likelyMeant(String(params['additionalProperty']), allowed);
      return `unknown key${guess === undefined ? '' : ` (did you mean ${guess}?)`}; allowed keys are ${allowed.join(', ')}`;
    }
    case 'required':
      return `the key '${String(params['missingProperty'])}' is required`;
    case 'enum':
      return `${shown} is not one of ${(params['allowedValues'] as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params['allowedValue'])}`;
    case 'pattern':
      if (schema?.pattern === DURATION_PATTERN) return `${shown} is not a duration like ${DURATION_EXAMPLES}`;
      return `${shown} is not valid; expected ${typeof schema?.description === 'string' ? schema.description : `text matching ${String(params['pattern'])}`}`;
    case 'not':
      // A known key that is refused (Type.Never): its description says what to do instead.
      return typeof schema?.description === 'string' ? schema.description : 'is not allowed here';
    case 'anyOf':
      // A mapping that fits none of its allowed shapes: the description says what it needs.
      if (typeof schema?.description === 'string' && typeof error.data === 'object' && error.data !== null && !Array.isArray(error.data)) {
        return `needs ${schema.description}`;
      }
      if (typeof schema?.description === 'string') return `${shown} must be ${schema.description}`;
      return `${shown} ${error.message ?? 'is invalid'}`;
    case 'type':
      // A mapping or a single value where a list belongs: Ajv's "must be array" does not say what a
      // YAML list looks like.
      if (params['type'] === 'array') return `must be a list, ${howToWriteList(schema)}`;
      break;
  }
  return `${error.message ?? 'is invalid'}`;
}

/**
 * How to write a list option in YAML, with an item showing the keys every item needs (`- {name:
 * ..., type: ...}` for alerting.receivers, whose items are a TaggedUnion: the keys every branch
 * requires).
 */
function howToWriteList(list: { items?: unknown } | undefined): string {
  const items = list?.items as { required?: string[]; oneOf?: Array<{ required?: string[] }> } | undefined;
  const branches = items?.oneOf ?? [];
  const inEveryBranch = (branches[0]?.required ?? []).filter((key) => branches.every((b) => b.required?.includes(key)));
  const keys = [...new Set([...inEveryBranch, ...(items?.required ?? [])])];
  if (keys.length === 0) return 'e.g. [first, second], or one item per line starting with "- "';
  return `one item per line starting with "- ", e.g. - {${keys.map((key) => `${key}: ...`).join(', ')}}`;
}

/** `/survey_rules/0/when` under `service_triggers` -> `service_triggers.survey_rules[0] (name).when`: list items show their `name`. */
function yamlPath(root: string, instancePath: string, data: unknown): string {
  let path = root;
  let node = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    node = (node as Record<string, unknown> | undefined)?.[part];
    if (/^\d+$/.test(part)) {
      const name = (node as { name?: unknown } | undefined)?.name;
      path += `[${part}]${typeof name === 'string' ? ` (${name})` : ''}`;
    } else path += path ? `.${part}` : part;
  }
  return path;
}
