/**
 * ServiceTriggersOperator: `service` alerts from surveys and interactions, and the cases they open.
 *
 * Survey and contact events are checked against the rules the moment they arrive (instant
 * triggers: `fired_at` = the event's time, alert id from rule, time, customer and survey/contact
 * id, so a replay gives the same alerts). Profile and transaction events only update what the
 * operator knows of the customer (tier, account owner, trailing spend). A rule with `case:` also
 * outputs a `cases` row and watches its deadline; when the watermark passes `due_at` the case
 * waits in state until the runner settles it against the `cases` table (`settleOverdue`, see
 * sinks/cases/checkpoint.ts), which escalates it once unless a person closed it. Every piece of
 * state is plain JSON in KeyedState, so a restore continues exactly.
 */
import { type Alert, alertRow, stableAlertId } from '../alert.js';
import type { ContactEvent, PulseEvent, SurveyEvent, TransactionEvent } from '../events.js';
import { MS_PER_DAY, MS_PER_HOUR } from '../events.js';
import type { Operator, OperatorOutput, OutputRow } from '../operator.js';
import { KeyedState, keyIsCustomer } from '../state.js';
import { type CaseStatusInfo, type NewDeadline, type ReopenedCase, TERMINAL_CASE_STATUSES } from './case-status.js';
import { caseRow, openCase, overdueAlert, reopenedCase } from './cases.js';
import { leadIdOf, leadRow } from './leads.js';
import { type CustomerFacts, interactionTexts, surveyTexts } from './describe.js';
import type { FactLookup, FactValue } from './expression.js';
import { expireContacts, matchInteraction, recordContact } from './interactions.js';
import { textFacts } from './text-facts.js';
import { addSpend, expireSpend, trailingSpend, utcDay } from './spend.js';
import type { RecentContact, ServiceRule, ServiceTriggerSettings, SpendState, WatchedCase } from './types.js';
import { type Profile, ProfileStore, profileValue } from '../customer-profiles.js';
import { OpenCaseIndex } from './open-cases.js';

export const SERVICE_STATE_NAMES = {
  /** Profiles as versions before 2026-12-08 kept them here; now in the shard's profile store (customer-profiles.ts). */
  profiles: 'profiles',
  spend: 'spend',
  contacts: 'contacts',
  cooldowns: 'cooldowns',
  cases: 'cases',
} as const;

/** A case whose deadline passed, waiting for the status check (a copy; state is not exposed). */
export type OverdueCase = Readonly<WatchedCase>;

export interface SettledCase {
  case_id: string;
  /** True when the escalation alert was raised; false when people had closed the case. */
  escalated: boolean;
  alert_id: string | null;
  status: string;
  /** The team the case was with (as people left it). */
  from_team: string;
  /** The team it is with now: its escalation's team (`cases.escalation.team`) when escalated. */
  team: string;
  /** When it became overdue: its escalation's time in the case history, as in the escalation alert. */
  due_at: number;
}

export type CaseDeadlineRequest =
  | { step: 'overdue'; dueBy?: number }
  | { step: 'settle'; statuses: ReadonlyMap<string, CaseStatusInfo> }
  | { step: 'changed'; statuses: ReadonlyMap<string, string> }
  | { step: 'reopened'; cases: readonly ReopenedCase[] };

/** Expiry of old state runs at most once per this much event-time progress. */
const EXPIRY_EVERY_MS = MS_PER_HOUR;

export class ServiceTriggersOperator implements Operator {
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  /** What the profile events said of each customer: the shard's store, or its own when built on its own. */
  private readonly profiles: ProfileStore;
  /** True when built on its own (tests, benches): it applies the profile events to its store itself. */
  private readonly ownsProfiles: boolean;
  /** Profiles restored from state an earlier version wrote; taken into the store once restored. */
  private readonly legacyProfiles = new KeyedState<Profile>(keyIsCustomer);
  private readonly spend = new KeyedState<SpendState>(keyIsCustomer);
  private readonly contacts = new KeyedState<RecentContact[]>(keyIsCustomer);
  /** `rule \0 customer` -> event time of the last firing. */
  private readonly cooldowns = new KeyedState<number>((key) => key.slice(key.indexOf('\u0000') + 1));
  private readonly cases = new KeyedState<WatchedCase>((_id, watched) => watched.customer_id);
  private readonly openCases = new OpenCaseIndex(this.cases);
  private alerts = new Map<string, Alert>();
  private caseRows = new Map<string, OutputRow>();
  private leadRows = new Map<string, OutputRow>();
  private lastExpiry = Number.NEGATIVE_INFINITY;
  /** The first spend day kept by the last expiry pass over the spend state. */
  private spendKeptFrom = Number.NEGATIVE_INFINITY;
  /** The horizons of the last expiry passes over the recent contacts and the cooldowns (see `expire`). */
  private contactsExpiredBefore = Number.NEGATIVE_INFINITY;
  private cooldownsExpiredAt = Number.NEGATIVE_INFINITY;
  private readonly contactHorizonMs: number;
  private readonly maxCooldownMs: number;

  constructor(
    readonly name: string,
    private readonly settings: ServiceTriggerSettings,
    profiles?: ProfileStore,
  ) {
    this.profiles = profiles ?? new ProfileStore(false);
    this.ownsProfiles = profiles === undefined;
    this.states = {
      ...(this.ownsProfiles ? this.profiles.states : {}),
      [SERVICE_STATE_NAMES.profiles]: this.legacyProfiles as KeyedState<unknown>,
      [SERVICE_STATE_NAMES.spend]: this.spend as KeyedState<unknown>,
      [SERVICE_STATE_NAMES.contacts]: this.contacts as KeyedState<unknown>,
      [SERVICE_STATE_NAMES.cooldowns]: this.cooldowns as KeyedState<unknown>,
      [SERVICE_STATE_NAMES.cases]: this.cases as KeyedState<unknown>,
    };
    const windows = settings.interactionRules.filter((r) => r.trigger === 'unresolved_contacts' || r.trigger === 'repeat_reason').map((r) => r.withinMs);
    this.contactHorizonMs = Math.max(0, ...windows);
    this.maxCooldownMs = Math.max(0, ...[...settings.surveyRules, ...settings.interactionRules].map((r) => r.cooldownMs));
  }

  process(event: PulseEvent): void {
    switch (event.type) {
      case 'profile':
        if (this.ownsProfiles) this.profiles.process(event);
        break;
      case 'transaction':
        this.onTransaction(event);
        break;
      case 'survey':
        this.onSurvey(event);
        break;
      case 'contact':
        this.onContact(event);
        break;
      default:
        break;
    }
  }

  onWatermark(watermark: number): void {
    // The end of a bounded input (+Infinity) is not time passing: no deadline is due because of it.
    if (!Number.isFinite(watermark)) return;
    this.markDue(watermark);
    if (watermark - this.lastExpiry >= EXPIRY_EVERY_MS) {
      this.expire(watermark);
      this.lastExpiry = watermark;
    }
  }

  drainOutputs(): OperatorOutput[] {
    const outputs: OperatorOutput[] = [];
    if (this.alerts.size > 0) outputs.push({ kind: 'alert', rows: [...this.alerts.values()].map(alertRow) });
    if (this.caseRows.size > 0) outputs.push({ kind: 'case', rows: [...this.caseRows.values()] });
    if (this.leadRows.size > 0) outputs.push({ kind: 'lead', rows: [...this.leadRows.values()] });
    this.alerts = new Map();
    this.caseRows = new Map();
    this.leadRows = new Map();
    return outputs;
  }

  /**
   * Cases past their deadline that wait for the status check, oldest deadline first. `dueBy`: the
   * job's clock when it is not the watermark (the wall clock of a live source, sinks/duckdb/job-clock.ts);
   * deadlines before it pass now, as they would when the watermark passed them.
   */
  overdueCases(dueBy?: number): OverdueCase[] {
    if (dueBy !== undefined && Number.isFinite(dueBy)) this.markDue(dueBy);
    const due: OverdueCase[] = [];
    for (const [, c] of this.cases.entries()) if (c.phase === 'due') due.push({ ...c });
    return due.sort((a, b) => a.due_at - b.due_at || a.case_id.localeCompare(b.case_id));
  }

  /**
   * Settles the overdue cases against their status as people left it (`statuses` by case id; a
   * case missing from it was never changed, so it is still open). Closed or resolved cases are
   * dropped silently; the others get one escalation alert (in the next `drainOutputs`) and are
   * dropped, so each case escalates at most once.
   */
  settleOverdue(statuses: ReadonlyMap<string, CaseStatusInfo>): SettledCase[] {
    const settled: SettledCase[] = [];
    for (const c of this.overdueCases()) {
      const info = statuses.get(c.case_id);
      const status = info?.status ?? 'open';
      const team = info?.team ?? c.team;
      if (TERMINAL_CASE_STATUSES.has(status)) {
        settled.push({ case_id: c.case_id, escalated: false, alert_id: null, status, from_team: team, team, due_at: c.due_at });
      } else {
        const alert = overdueAlert(c, this.settings.cases, info?.status ?? null, info?.team ?? null);
        this.alerts.set(alert.alert_id, alert);
        settled.push({ case_id: c.case_id, escalated: true, alert_id: alert.alert_id, status, from_team: team, team: alert.labels['team']!, due_at: c.due_at });
      }
      this.cases.delete(c.case_id);
    }
    return settled;
  }

  /**
   * Statuses people gave cases (`pulse cases`, the console) since the operator last heard, by case
   * id: a case closed or resolved before its deadline is no longer the customer's open case, so the
   * next firing opens a new one (it reused the closed case: no deadline, no escalation); a case
   * reopened is again. The case stays watched until its deadline, where the status check settles it.
   */
  casesChangedByPeople(statuses: ReadonlyMap<string, string>): void {
    for (const [caseId, status] of statuses) {
      const c = this.cases.get(caseId);
      if (c === undefined || c.phase !== 'open') continue;
      const closed = TERMINAL_CASE_STATUSES.has(status);
      if (closed === (c.closed === true)) continue;
      if (closed) c.closed = true;
      else delete c.closed;
      this.openCases.changed(c);
      this.cases.touch(caseId);
    }
  }

  /**
   * Cases people reopened (of this shard's customers). One whose deadline had passed, which this
   * operator no longer watches, is watched again to a new deadline (cases.ts `reopenedCase`); a
   * reopened case it still watches keeps its deadline (`casesChangedByPeople`). Returns the
   * deadlines of reopened cases it watches that the `cases` table does not show yet.
   */
  watchReopened(cases: readonly ReopenedCase[]): NewDeadline[] {
    const unseen: NewDeadline[] = [];
    for (const reopened of cases) {
      let watched = this.cases.get(reopened.case_id);
      if (watched === undefined) {
        // Not this operator's to watch: its deadline has not passed, so the case never left it.
        if (reopened.due_at > reopened.reopened_at) continue;
        const profile = this.profiles.latest(reopened.customer_id);
        const rules = [...this.settings.surveyRules, ...this.settings.interactionRules];
        watched = reopenedCase(reopened, rules, this.settings.cases, profile?.tier ?? this.settings.cases.defaultTier, profile?.account_owner ?? null);
        this.cases.set(watched.case_id, watched);
        this.openCases.opened(watched);
      }
      if (watched.due_at !== reopened.due_at) unseen.push({ case_id: watched.case_id, due_at: watched.due_at });
    }
    return unseen;
  }

  /**
   * The runner's questions at a checkpoint, when the operator runs on a worker thread:
   * `{ step: 'overdue', dueBy }` -> overdueCases(dueBy), `{ step: 'settle', statuses }` -> settleOverdue(),
   * `{ step: 'changed', statuses }` -> casesChangedByPeople(), `{ step: 'reopened', cases }` -> watchReopened().
   */
  answer(request: unknown): unknown {
    const r = request as CaseDeadlineRequest;
    if (r.step === 'changed') {
      this.casesChangedByPeople(r.statuses);
      return null;
    }
    if (r.step === 'reopened') return this.watchReopened(r.cases);
    return r.step === 'overdue' ? this.overdueCases(r.dueBy) : this.settleOverdue(r.statuses);
  }

  // ---- event handlers ----

  /** Takes the profiles an earlier version kept in this operator's state into the profile store. */
  restored(): void {
    const customers = [...this.legacyProfiles.entries()].map(([customer, profile]) => {
      this.profiles.adopt(customer, profile);
      return customer;
    });
    for (const customer of customers) this.legacyProfiles.delete(customer);
  }

  private onTransaction(event: TransactionEvent): void {
    if (event.amount < 0) return;
    let state = this.spend.get(event.customer_id);
    if (state) this.spend.touch(event.customer_id);
    else this.spend.set(event.customer_id, (state = { days: [], sums: [] }));
    addSpend(state, event.ts, event.amount);
    // A safety cap between expiry passes (expire() drops days by the watermark); twice the
    // trailing days plus the lateness is more than any trailing sum can reach.
    if (state.days.length > 2 * this.settings.trailingSpendDays + Math.ceil(this.settings.allowedLatenessMs / MS_PER_DAY) + 1) {
      state.days.shift();
      state.sums.shift();
    }
  }

  private onSurvey(event: SurveyEvent): void {
    if (this.settings.surveyRules.length === 0) return;
    const comment = textFacts(event.comment, this.settings);
    const facts = this.facts(event.customer_id, event.ts, (field) => {
      if (field.startsWith('comment_')) return comment.fact(field.slice('comment_'.length));
      if (field.startsWith('answers.')) {
        const id = field.slice('answers.'.length);
        return Object.hasOwn(event.answers, id) ? event.answers[id] : undefined;
      }
      if (field === 'survey_id') return event.survey_id;
      if (field === 'comment') return event.comment;
      return undefined;
    });
    for (const rule of this.settings.surveyRules) {
      if (rule.surveyIds && !rule.surveyIds.has(event.survey_id)) continue;
      if (!rule.when.test(facts.lookup)) continue;
      if (rule.customer && !rule.customer.test(facts.lookup)) continue;
      if (!this.passCooldown(rule, event.customer_id, event.ts)) continue;
      const alertId = stableAlertId(rule.name, event.ts, event.customer_id, event.survey_id);
      this.fire(rule, alertId, event.customer_id, event.ts, facts.customer(), surveyTexts(rule, event, facts.lookup, facts.customer()), 'survey');
    }
  }

  private onContact(event: ContactEvent): void {
    const customerId = event.customer_id;
    // An unknown caller cannot be followed over contacts or tied to a customer.
    if (customerId === null || this.settings.interactionRules.length === 0) return;
    let recent = this.contacts.get(customerId) ?? [];
    if (this.contactHorizonMs > 0) {
      recent = recordContact(recent, { t: event.queued_at, r: event.reason, d: event.disposition, id: event.contact_id }, this.settings.maxContactsPerCustomer);
      this.contacts.set(customerId, recent);
    }
    const withCurrent: readonly RecentContact[] =
      this.contactHorizonMs > 0 ? recent : [{ t: event.queued_at, r: event.reason, d: event.disposition, id: event.contact_id }];
    const text = textFacts(event.text, this.settings);
    const facts = this.facts(customerId, event.queued_at, (field) => {
      switch (field) {
        case 'queue':
          return event.queue;
        case 'channel':
          return event.channel;
        case 'reason':
          return event.reason;
        case 'disposition':
          return event.disposition;
        case 'agent_id':
          return event.agent_id;
        case 'text':
          return event.text;
        default:
          return field.startsWith('text_') ? text.fact(field.slice('text_'.length)) : undefined;
      }
    });
    for (const rule of this.settings.interactionRules) {
      if (rule.where && !rule.where.test(facts.lookup)) continue;
      const match = matchInteraction(rule, event, withCurrent, this.settings, text);
      if (!match) continue;
      if (rule.customer && !rule.customer.test(facts.lookup)) continue;
      // An intent rule allows one firing per customer and intent (not per rule) in its cooldown.
      const scope = match.trigger === 'intent' ? match.prediction.intent : '';
      if (!this.passCooldown(rule, customerId, event.queued_at, scope)) continue;
      const alertId = stableAlertId(rule.name, event.queued_at, customerId, event.contact_id);
      const annotations = interactionTexts(rule, event, match, facts.customer());
      if (match.trigger === 'intent') {
        annotations['lead_id'] = leadIdOf(alertId);
        this.leadRows.set(annotations['lead_id'], leadRow(alertId, customerId, event, match.prediction, match.evidenceFrom, facts.customer(), rule.team));
      }
      this.fire(rule, alertId, customerId, event.queued_at, facts.customer(), annotations, rule.trigger);
    }
  }

  // ---- firing ----

  private fire(
    rule: ServiceRule,
    alertId: string,
    customerId: string,
    ts: number,
    customer: CustomerFacts,
    annotations: Record<string, string>,
    trigger: string,
  ): void {
    let team = rule.team;
    const labels: Record<string, string> = { alertname: rule.name, kind: 'service', severity: rule.severity, tier: customer.tier };
    if (customer.account_owner) labels['account_owner'] = customer.account_owner;
    labels['trigger'] = trigger;
    // Bounded: one of the model's labels. Routes leads (new_sale -> sales, retention_risk -> retention desk).
    if (annotations['intent']) labels['intent'] = annotations['intent'];
    if (annotations['lead_id']) labels['lead_id'] = annotations['lead_id'];
    if (rule.case) {
      const existing = this.settings.cases.oneOpenPerCategory ? this.openCases.find(customerId, rule.case.category, ts) : undefined;
      const watched =
        existing ?? openCase(rule, this.settings.cases, { alert_id: alertId, customer_id: customerId, fired_at: ts }, customer.tier, customer.account_owner);
      if (!existing) {
        this.cases.set(watched.case_id, watched);
        this.openCases.opened(watched);
        this.caseRows.set(watched.case_id, caseRow(watched));
      }
      team = watched.team;
      labels['case_id'] = watched.case_id;
      annotations['case_id'] = watched.case_id;
      annotations['case_due_at'] = new Date(watched.due_at).toISOString();
      annotations['case_severity'] = watched.severity;
      annotations['case_category'] = watched.category;
      if (existing) annotations['case_reused'] = 'an open case of this customer and category already exists';
    }
    labels['team'] = team;
    this.alerts.set(alertId, {
      alert_id: alertId,
      kind: 'service',
      rule: rule.name,
      severity: rule.severity,
      customer_id: customerId,
      window_start: ts,
      fired_at: ts,
      labels,
      annotations,
      status: 'firing',
    });
  }

  /** One firing per rule and customer per cooldown, whatever order the events arrive in. */
  private passCooldown(rule: ServiceRule, customerId: string, ts: number, scope = ''): boolean {
    if (rule.cooldownMs <= 0) return true;
    // The customer id follows the first NUL (the state's partition key); `scope` narrows the rule.
    const key = `${rule.name}${scope ? `\u0001${scope}` : ''}\u0000${customerId}`;
    const last = this.cooldowns.get(key);
    if (last !== undefined && Math.abs(ts - last) < rule.cooldownMs) return false;
    this.cooldowns.set(key, last === undefined ? ts : Math.max(last, ts));
    return true;
  }

  /** Customer facts at event time `ts`, plus the event's own fields through `own`. */
  private facts(customerId: string, ts: number, own: (field: string) => FactValue): { lookup: FactLookup; customer: () => CustomerFacts } {
    const profile = this.profiles.latest(customerId);
    const tier = profile?.tier ?? this.settings.cases.defaultTier;
    let spend: number | undefined;
    const trailing = (): number => (spend ??= trailingSpend(this.spend.get(customerId), ts, this.settings.trailingSpendDays));
    const lookup: FactLookup = (field) => {
      switch (field) {
        case 'tier':
          return tier;
        case 'trailing_spend':
          return trailing();
        case 'account_owner':
        case 'region':
        case 'age_band':
        case 'signup_date':
          // Null when the customer has a profile without it, as a profile event gives it.
          return profile === undefined ? undefined : (profileValue(profile, field) ?? null);
        default:
          // `profile.<name>`: one of the profile's other attributes; a cleared one is none.
          if (field.startsWith('profile.')) return profileValue(profile, field.slice('profile.'.length)) ?? undefined;
          return own(field);
      }
    };
    let customer: CustomerFacts | undefined;
    return {
      lookup,
      customer: () =>
        (customer ??= {
          customer_id: customerId,
          tier,
          account_owner: profile?.account_owner ?? null,
          trailing_spend: trailing(),
          trailingSpendDays: this.settings.trailingSpendDays,
        }),
    };
  }

  // ---- time ----

  /** Cases whose deadline is before `time` wait for the status check (`overdueCases`). */
  private markDue(time: number): void {
    for (const c of this.openCases.takeDue(time)) {
      c.phase = 'due';
      this.cases.touch(c.case_id);
    }
  }

  /** Drops state no event within the allowed lateness can need any more. */
  private expire(watermark: number): void {
    const horizon = watermark - this.settings.allowedLatenessMs;
    const firstDay = utcDay(horizon) - this.settings.trailingSpendDays + 1;
    // Spend is kept by day: until the first kept day moves, a pass visiting every customer finds
    // nothing to drop (events older than the horizon were refused as late before they got here).
    if (firstDay > this.spendKeptFrom) {
      this.spendKeptFrom = firstDay;
      // No copy of the entries: a Map's iteration goes on correctly when the current entry is deleted.
      // forEach, not entries(): these passes visit every customer, and entries() allocates a pair for each.
      this.spend.forEach((state, key) => {
        const before = state.days.length;
        if (expireSpend(state, firstDay)) this.spend.delete(key);
        else if (state.days.length !== before) this.spend.touch(key);
      });
    }
    // A pass over the contacts or the cooldowns visits every customer: hourly, on a contact-heavy
    // stream, they took a tenth of the operator's time. Each runs once its horizon has moved by an
    // eighth of what it keeps, so an entry outlives its use by at most an eighth of that.
    const contactsBefore = horizon - this.contactHorizonMs;
    if (contactsBefore - this.contactsExpiredBefore >= this.contactHorizonMs / 8) {
      this.contactsExpiredBefore = contactsBefore;
      this.contacts.forEach((recent, key) => {
        const before = recent.length;
        if (expireContacts(recent, contactsBefore)) this.contacts.delete(key);
        else if (recent.length !== before) this.contacts.touch(key);
      });
    }
    if (horizon - this.cooldownsExpiredAt >= this.maxCooldownMs / 8) {
      this.cooldownsExpiredAt = horizon;
      this.cooldowns.forEach((last, key) => {
        if (horizon - last >= this.maxCooldownMs) this.cooldowns.delete(key);
      });
    }
  }
}
