/**
 * The contact-reason taxonomy a business keeps (issue 15, item 3): reasons with a code, a label and
 * a parent category, the channel-specific codes that mean each one, and which are retired (a
 * retired reason may be merged into another). This file is the pure part: the YAML form, its
 * checks, and the mapping of an arriving (channel, code) to a reason. Versions are kept by
 * sinks/taxonomy.
 */
import type { TArray } from '@sinclair/typebox';
import { compileConfig, StringEnum, Type, type Static } from './config/schema.js';
import { parseDocument, stringify } from 'yaml';
import { CONTACT_CHANNELS, type ContactChannel } from './events.js';
import { ConfigError } from './errors.js';

export const REASON_STATUSES = ['active', 'retired'] as const;
export type ReasonStatus = (typeof REASON_STATUSES)[number];

const CODE = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: '1 to 64 letters, digits or _ . : -' });

const REASON_SCHEMA = Type.Object(
  {
    code: CODE,
    label: Type.String({ minLength: 1, maxLength: 200 }),
    category: Type.String({ minLength: 1, maxLength: 100 }),
    status: StringEnum(REASON_STATUSES, { default: 'active' }),
    /** Codes that channels send for this reason, by channel (`voice: [BILL01]`). */
    channel_codes: Type.Partial(
      Type.Object(Object.fromEntries(CONTACT_CHANNELS.map((c) => [c, Type.Array(CODE, { uniqueItems: true })])) as Record<ContactChannel, TArray<typeof CODE>>),
      {
        additionalProperties: false,
        default: {},
      },
    ),
    /** A retired reason whose contacts now count under another. */
    merged_into: Type.Optional(CODE),
  },
  { additionalProperties: false },
);
export type Reason = Static<typeof REASON_SCHEMA>;

export const TAXONOMY_SCHEMA = Type.Object({ reasons: Type.Array(REASON_SCHEMA) }, { additionalProperties: false });
export type Taxonomy = Static<typeof TAXONOMY_SCHEMA>;

const checkShape = compileConfig(TAXONOMY_SCHEMA);

/**
 * Checks a taxonomy (already parsed) and fills its defaults. Refused, with every problem named:
 * a code given twice, a channel code given to two reasons on one channel, a merge into an unknown
 * or retired reason, a merged reason left active.
 */
export function checkTaxonomy(value: unknown, origin: string): Taxonomy {
  // The validator fills defaults in: check a copy, so that the caller's value stays as written.
  const taxonomy = checkShape(structuredClone(value), '', ({ path, detail }) => new ConfigError(`${origin}: not a reason taxonomy: ${path}: ${detail}`));
  const problems: string[] = [];
  const byCode = new Map<string, Reason>();
  for (const reason of taxonomy.reasons) {
    if (byCode.has(reason.code)) problems.push(`reason '${reason.code}' is listed twice`);
    byCode.set(reason.code, reason);
  }
  const owners = new Map<string, string>();
  for (const reason of taxonomy.reasons) {
    for (const [channel, codes] of Object.entries(reason.channel_codes)) {
      for (const code of codes ?? []) {
        const owner = owners.get(`${channel}|${code}`);
        if (owner !== undefined) problems.push(`${channel} code '${code}' is mapped to both '${owner}' and '${reason.code}'`);
        owners.set(`${channel}|${code}`, reason.code);
      }
    }
    if (reason.merged_into !== undefined) {
      const target = byCode.get(reason.merged_into);
      if (reason.status !== 'retired') problems.push(`reason '${reason.code}' is merged into '${reason.merged_into}' but not retired`);
      if (target === undefined) problems.push(`reason '${reason.code}' is merged into '${reason.merged_into}', which is not in the list`);
      else if (target.status !== 'active') problems.push(`reason '${reason.code}' is merged into '${reason.merged_into}', which is retired`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`${origin}: ${problems.join('; ')}`);
  return taxonomy;
}

/** A taxonomy from its YAML text (`reasons: [...]`). */
export function parseTaxonomyYaml(text: string, origin: string): Taxonomy {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) throw new ConfigError(`${origin}: ${document.errors[0]!.message}`);
  let parsed: unknown;
  try {
    // Bounded alias expansion: a "billion laughs" document is refused, not expanded.
    parsed = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError(`${origin}: ${(error as Error).message}`);
  }
  return checkTaxonomy(parsed, origin);
}

/** The YAML form of a taxonomy (what `parseTaxonomyYaml` reads back). */
export function taxonomyToYaml(taxonomy: Taxonomy): string {
  return stringify({ reasons: taxonomy.reasons.map((r) => ({ ...r })) });
}

export interface MappedReason {
  /** The reason the contact counts under: the taxonomy's code, or the arriving code when unknown. */
  reason: string;
  known: boolean;
}

/**
 * The mapping of arriving codes: a channel's own code, else a reason's code, followed through
 * merges to the active reason. An unknown code stays as it arrived, marked unknown.
 */
export function reasonMapper(taxonomy: Taxonomy): (channel: string, code: string) => MappedReason {
  const byCode = new Map(taxonomy.reasons.map((r) => [r.code, r]));
  const resolved = (reason: Reason): string => (reason.merged_into !== undefined ? reason.merged_into : reason.code);
  const byChannel = new Map<string, string>();
  for (const reason of taxonomy.reasons) {
    for (const [channel, codes] of Object.entries(reason.channel_codes)) for (const code of codes ?? []) byChannel.set(`${channel}|${code}`, resolved(reason));
  }
  return (channel, code) => {
    const mapped = byChannel.get(`${channel}|${code}`) ?? (byCode.has(code) ? resolved(byCode.get(code)!) : undefined);
    return mapped === undefined ? { reason: code, known: false } : { reason: mapped, known: true };
  };
}

/** How many of the list's codes an error names before it says how many more there are. */
const CODES_NAMED = 30;

/** The list's codes for an error message: the first `CODES_NAMED`, then how many more. */
function codesOf(t: Taxonomy): string {
  if (t.reasons.length === 0) return 'the list is empty: add a reason or import a list first';
  const codes = t.reasons.map((r) => r.code);
  const named = codes.slice(0, CODES_NAMED).join(', ');
  return `its codes: ${named}${codes.length > CODES_NAMED ? ` and ${codes.length - CODES_NAMED} more` : ''}`;
}

export function hasReason(t: Taxonomy, code: string): boolean {
  return t.reasons.some((r) => r.code === code);
}

/**
 * The reason with `code`. A code the list lacks is refused, naming the list's codes (and the one
 * meant, when only the case differs): an edit of a missing reason would change nothing and still
 * be saved as a version whose comment claims the change.
 */
function requireReason(t: Taxonomy, code: string): Reason {
  const found = t.reasons.find((r) => r.code === code);
  if (found !== undefined) return found;
  const otherCase = t.reasons.find((r) => r.code.toLowerCase() === code.toLowerCase());
  const hint = otherCase === undefined ? '' : ` (codes are case-sensitive: did you mean '${otherCase.code}'?)`;
  throw new ConfigError(`there is no reason '${code}' in the list${hint}; ${codesOf(t)}`);
}

/** The reason a mapped code's contacts are to count under: in the list and active. */
function requireActiveReason(t: Taxonomy, code: string): Reason {
  const found = requireReason(t, code);
  if (found.status !== 'active') throw new ConfigError(`reason '${code}' is retired: merge into an active reason`);
  return found;
}

/** `codes` with `code` added, once. */
const withCode = (codes: readonly string[] | undefined, code: string): string[] => [...new Set([...(codes ?? []), code])];

/**
 * Edits a manager makes on the console; each returns a new taxonomy (checked when it is saved). A
 * code that is not in the list is refused (ConfigError), except as the code mapped by `mapCode`.
 */
export const taxonomyEdits = {
  rename(t: Taxonomy, code: string, label: string): Taxonomy {
    requireReason(t, code);
    return { reasons: t.reasons.map((r) => (r.code === code ? { ...r, label } : r)) };
  },
  /** `from` is retired into `into`; reasons merged into `from` before follow it to `into`. */
  merge(t: Taxonomy, from: string, into: string): Taxonomy {
    requireReason(t, from);
    // A retired `into` is refused by checkTaxonomy, which sees every merge.
    requireReason(t, into);
    return {
      reasons: t.reasons.map((r) =>
        r.code === from ? { ...r, status: 'retired' as const, merged_into: into } : r.merged_into === from ? { ...r, merged_into: into } : r,
      ),
    };
  },
  /**
   * A code that is no reason of the list (an unknown code the job counted, a channel's own code)
   * becomes a channel code of `into` on every channel: contacts that arrive with it count under
   * `into`. A code another reason already has on a channel is refused when the list is checked.
   */
  mapCode(t: Taxonomy, code: string, into: string): Taxonomy {
    if (hasReason(t, code)) throw new ConfigError(`'${code}' is a reason of the list: merge the reason instead`);
    requireActiveReason(t, into);
    const mapped = (r: Reason): Reason => ({
      ...r,
      channel_codes: Object.fromEntries(CONTACT_CHANNELS.map((channel) => [channel, withCode(r.channel_codes[channel], code)])),
    });
    return { reasons: t.reasons.map((r) => (r.code === into ? mapped(r) : r)) };
  },
  retire(t: Taxonomy, code: string): Taxonomy {
    requireReason(t, code);
    return { reasons: t.reasons.map((r) => (r.code === code ? { ...r, status: 'retired' as const } : r)) };
  },
  add(t: Taxonomy, reason: Pick<Reason, 'code' | 'label' | 'category'>): Taxonomy {
    return { reasons: [...t.reasons, { ...reason, status: 'active', channel_codes: {} }] };
  },
};
