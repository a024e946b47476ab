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

/** Edits a manager makes on the console; each returns a new taxonomy (checked when it is saved). */
export const taxonomyEdits = {
  rename(t: Taxonomy, code: string, label: string): Taxonomy {
    return { reasons: t.reasons.map((r) => (r.code === code ? { ...r, label } : r)) };
  },
  /** `from` is retired into `into`; reasons merged into `from` before follow it to `into`. */
  merge(t: Taxonomy, from: string, into: string): Taxonomy {
    return {
      reasons: t.reasons.map((r) =>
        r.code === from ? { ...r, status: 'retired' as const, merged_into: into } : r.merged_into === from ? { ...r, merged_into: into } : r,
      ),
    };
  },
  retire(t: Taxonomy, code: string): Taxonomy {
    return { reasons: t.reasons.map((r) => (r.code === code ? { ...r, status: 'retired' as const } : r)) };
  },
  add(t: Taxonomy, reason: Pick<Reason, 'code' | 'label' | 'category'>): Taxonomy {
    return { reasons: [...t.reasons, { ...reason, status: 'active', channel_codes: {} }] };
  },
};
