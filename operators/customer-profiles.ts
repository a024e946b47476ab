/**
 * One store of what the profile events have said of each customer, per shard, that the operators
 * read (issue 19 item 5: service_triggers, customer_shifts and population_drift each kept the same
 * profile, three copies of it at a million customers).
 *
 * A profile event sets the attributes it carries, clears those it gives as null, and leaves the
 * others as they were: a CRM's change stream often names only what changed (`{"tier": "Gold"}`).
 * Changes are folded in event time, so a change that arrives late lands where its time puts it: it
 * fills in what the newer changes left unknown and changes nothing they set.
 *
 * The shard applies each profile event here before any other operator sees it, and after they have
 * seen the events that arrived before it (pipelines/shards/shard.ts): an operator reads the
 * profile as it was when each of its events arrived, whatever the batch. Operators read the latest
 * profile (`latest`), or the profile as of a time (`asOf`: population_drift at a period's end), for
 * which the store keeps the changes newer than the time asked last (`history`).
 */
import type { ProfileEvent, PulseEvent } from './events.js';
import type { LocalOperator, OperatorPlan, ShardParts } from './parallel.js';
import { KeyedState, keyIsCustomer } from './state.js';
import { StringPool } from './string-pool.js';

/** The store's operator name: its state's namespace and its `pulse_operator_seconds_total` label. */
export const CUSTOMER_PROFILES = 'customer_profiles';

/**
 * What is known of a customer: each attribute as the latest change that carried it left it (null:
 * cleared; undefined: no change carried it). As one change, what it carried.
 */
export interface Profile {
  /** Event time of the newest change folded in. */
  ts: number;
  tier?: string | null | undefined;
  account_owner?: string | null | undefined;
  region?: string | null | undefined;
  age_band?: string | null | undefined;
  signup_date?: string | null | undefined;
  /**
   * Any other attributes (null: cleared); undefined when no change carried one. Every profile is
   * made with all seven fields, undefined ones too (JSON leaves them out): a field added later lives
   * outside the object, some 40 bytes more a customer.
   */
  attributes?: Record<string, string | null> | undefined;
}

/** The profile attributes with a field of their own (the others are in `attributes`). */
export type ProfileField = 'tier' | 'account_owner' | 'region' | 'age_band' | 'signup_date';

/** A customer's entry: the changes up to the time asked last folded, and the newer ones in time order (`history` only). */
interface StoredProfile extends Profile {
  later?: Profile[];
}

/** How an operator reads the store: the latest profile only, or also as of a past time. */
export type ProfileReads = 'latest' | 'history';

const PROFILE_FIELDS: ReadonlySet<string> = new Set<ProfileField>(['tier', 'account_owner', 'region', 'age_band', 'signup_date']);

export function isProfileField(name: string): name is ProfileField {
  return PROFILE_FIELDS.has(name);
}

/** The value `profile` gives attribute `name` (a field or one of `attributes`); undefined: none known. */
export function profileValue(profile: Profile | undefined, name: string): string | null | undefined {
  if (profile === undefined) return undefined;
  if (isProfileField(name)) return profile[name];
  return profile.attributes !== undefined && Object.hasOwn(profile.attributes, name) ? profile.attributes[name] : undefined;
}

export class ProfileStore implements LocalOperator {
  readonly name = CUSTOMER_PROFILES;
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  private readonly profiles = new KeyedState<StoredProfile>(keyIsCustomer);
  /** Shared copies of repeated values and attribute names (a few tiers, regions and owners for every customer): string-pool.ts. */
  private readonly repeated = new StringPool();

  /** `history`: keep the changes newer than the time `asOf` was asked last for each customer. */
  constructor(private readonly history: boolean) {
    this.states = { [CUSTOMER_PROFILES]: this.profiles as KeyedState<unknown> };
  }

  process(event: PulseEvent): void {
    if (event.type === 'profile') this.apply(event.customer_id, this.changeOf(event));
  }

  onWatermark(): void {}

  drainOutputs(): [] {
    return [];
  }

  /** The customer's profile after every change applied; undefined before its first. */
  latest(customer: string): Profile | undefined {
    const stored = this.profiles.get(customer);
    if (stored?.later === undefined) return stored;
    return stored.later.reduce(over, stored as Profile);
  }

  /**
   * The customer's profile after the changes before `end`; undefined when none was. Those changes
   * are folded for good: a later call must not ask for an earlier time (history only).
   */
  asOf(customer: string, end: number): Profile | undefined {
    const stored = this.profiles.get(customer);
    if (stored === undefined || stored.ts >= end) return undefined;
    const { later } = stored;
    if (later === undefined || later[0]!.ts >= end) return stored;
    let folded: Profile = stored;
    let i = 0;
    for (; i < later.length && later[i]!.ts < end; i++) folded = over(folded, later[i]!);
    this.profiles.set(customer, withLater(folded, later.slice(i)));
    return folded;
  }

  /**
   * Takes in a profile an earlier version kept in an operator's own state (restored from a database
   * it wrote): it fills in what the store does not know yet, and changes nothing it knows.
   */
  adopt(customer: string, kept: Profile): void {
    const known = this.profiles.get(customer);
    const shared = this.sharedChange(kept);
    this.profiles.set(customer, known === undefined ? shared : withLater(over(shared, known), known.later ?? []));
  }

  /** Applies one change (in event time among the customer's others). */
  applyChange(customer: string, change: Profile): void {
    this.apply(customer, this.sharedChange(change));
  }

  private apply(customer: string, change: Profile): void {
    const known = this.profiles.get(customer);
    if (known === undefined) this.profiles.set(customer, change);
    else if (!this.history) this.profiles.set(customer, change.ts >= known.ts ? over(known, change) : over(change, known));
    else {
      // In time order, after changes of the same time (they arrived first).
      const changes: Profile[] = [withLater(known, []), ...(known.later ?? [])];
      let at = changes.length;
      while (at > 0 && changes[at - 1]!.ts > change.ts) at--;
      changes.splice(at, 0, change);
      this.profiles.set(customer, withLater(changes[0]!, changes.slice(1)));
    }
  }

  private changeOf(event: ProfileEvent): Profile {
    const { repeated } = this;
    const names = Object.keys(event.attributes);
    let attributes: Record<string, string | null> | undefined;
    if (names.length > 0) {
      attributes = {};
      for (const name of names) put(attributes, repeated.shared(name), repeated.shared(event.attributes[name]!));
    }
    return {
      ts: event.ts,
      tier: carried(repeated, event.tier),
      account_owner: carried(repeated, event.account_owner),
      region: carried(repeated, event.region),
      age_band: carried(repeated, event.age_band),
      signup_date: carried(repeated, event.signup_date),
      attributes,
    };
  }

  /** `change` with its values shared (restored or adopted state comes from JSON: a copy of each). */
  private sharedChange(change: Profile): Profile {
    const { repeated } = this;
    return {
      ts: change.ts,
      tier: carried(repeated, change.tier),
      account_owner: carried(repeated, change.account_owner),
      region: carried(repeated, change.region),
      age_band: carried(repeated, change.age_band),
      signup_date: carried(repeated, change.signup_date),
      attributes: change.attributes === undefined ? undefined : mergedAttributes(undefined, change.attributes, repeated),
    };
  }
}

/** A plan for the store, when any of `plans` reads profiles (`OperatorPlan.readsProfiles`); it comes first. */
export function withProfileStore(plans: readonly OperatorPlan[]): OperatorPlan[] {
  const reads = plans.map((plan) => plan.readsProfiles);
  if (!reads.some((read) => read !== undefined)) return [...plans];
  const history = reads.includes('history');
  return [{ name: CUSTOMER_PROFILES, createLocal: (parts) => (parts.profiles = new ProfileStore(history)) }, ...plans];
}

/** The shard's profile store, for operator `reader`'s local part (its plan has `readsProfiles`). */
export function profileStoreOf(parts: ShardParts, reader: string): ProfileStore {
  if (parts.profiles === undefined)
    throw new Error(`operator '${reader}' reads customer profiles, but its shard has no profile store (build its plans through withProfileStore)`);
  return parts.profiles;
}

function carried(pool: StringPool, value: string | null | undefined): string | null | undefined {
  return value === undefined ? undefined : pool.shared(value);
}

/** `kept` with `change` applied on top: what the change carries, else what was kept. */
function over(kept: Profile, change: Profile): Profile {
  return {
    ts: Math.max(kept.ts, change.ts),
    tier: change.tier !== undefined ? change.tier : kept.tier,
    account_owner: change.account_owner !== undefined ? change.account_owner : kept.account_owner,
    region: change.region !== undefined ? change.region : kept.region,
    age_band: change.age_band !== undefined ? change.age_band : kept.age_band,
    signup_date: change.signup_date !== undefined ? change.signup_date : kept.signup_date,
    attributes: change.attributes === undefined ? kept.attributes : mergedAttributes(kept.attributes, change.attributes),
  };
}

function mergedAttributes(
  kept: Readonly<Record<string, string | null>> | undefined,
  change: Readonly<Record<string, string | null>>,
  pool?: StringPool,
): Record<string, string | null> {
  const merged: Record<string, string | null> = {};
  if (kept !== undefined) for (const name of Object.keys(kept)) put(merged, name, kept[name]!);
  for (const name of Object.keys(change)) put(merged, pool ? pool.shared(name) : name, pool ? pool.shared(change[name]!) : change[name]!);
  return merged;
}

/** Sets an own property; one named `__proto__` stays an attribute, not the object's prototype. */
function put(attributes: Record<string, string | null>, name: string, value: string | null): void {
  if (name === '__proto__') Object.defineProperty(attributes, name, { value, enumerable: true, writable: true, configurable: true });
  else attributes[name] = value;
}

/** The entry of `profile` with the newer changes `later` (none: no `later` at all). */
function withLater(profile: Profile, later: Profile[]): StoredProfile {
  const { later: _previous, ...own } = profile as StoredProfile;
  return later.length === 0 ? own : { ...own, later };
}
