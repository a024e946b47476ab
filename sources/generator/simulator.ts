import { MS_PER_DAY, MS_PER_HOUR } from '../../operators/events.js';
import {
  ACCOUNT_OWNERS,
  AGE_BANDS,
  CALLBACK_DELAY_SECONDS,
  CATEGORIES,
  CATEGORY_WEIGHTS,
  CONTACT_CHANNEL_LIST,
  CONTACT_CHANNEL_WEIGHTS,
  CONTACT_DOW_FACTORS,
  CONTACT_HOUR_WEIGHTS,
  CONTACT_WITHOUT_TS_SHARE,
  CURRENCIES,
  NEGATIVE_COMMENTS,
  NEGATIVE_TEXTS,
  NEUTRAL_TEXTS,
  POSITIVE_COMMENTS,
  QUEUES,
  REASONS,
  REGIONS,
  REGION_WEIGHTS,
  REPEAT_DELAY_SECONDS,
  REPEAT_PROBABILITY,
  SEGMENTS,
  TIERS,
  TX_CHANNELS,
  TX_CHANNEL_WEIGHTS,
  TX_CHANNEL_WEIGHTS_DRIFT,
  TX_HOUR_WEIGHTS,
  UNKNOWN_CALLER_SHARE,
  USAGE_METRICS,
  WEEK_PROFILES,
} from './catalog.js';
import type { ContactChannelName, Queue } from './catalog.js';
import { simulateContact } from './contacts.js';
import type { ContactOutcome } from './contacts.js';
import { IntentTexts } from './intent-texts.js';
import { BehaviourPatterns } from './patterns.js';
import { EmitBuffer, TAG_DUPLICATE, TAG_EVENT, TAG_LATE, TAG_MALFORMED } from './emit-buffer.js';
import { MALFORMED_KINDS, malformedLine } from './malformed.js';
import type { ResolvedOptions } from './options.js';
import { AMOUNT_SIGMA, DRIFT_SPEND_FACTOR, MEAN_CONTACTS_PER_DAY, REFUND_SHARE, USAGE_PLAN } from './population.js';
import type { Population } from './population.js';
import { Rng, cumulative } from './rng.js';
import { TimeStyle } from './time-format.js';

/**
 * Simulates the customers day by day and hands each record, with its delivery time, to the
 * emit buffer. Stream imperfections (delays, late delivery, duplicates, malformed records) are
 * decided here per valid event, so their counts are exact.
 */

export const PROFILE_CHANGE_PER_DAY = 0.002;
export const INSTALL_SURVEY_PER_DAY = 0.001;
export const SURVEY_AFTER_HANDLED_CONTACT = 0.3;
/** Late deliveries come this long after their event time. */
export const LATE_DELAY_SECONDS = { min: 2 * 86_400, max: 3 * 86_400 } as const;
const MAX_REPEAT_CHAIN = 4;
const TEXT_CHANNELS = new Set<ContactChannelName>(['voice', 'chat', 'email', 'social', 'web']);

export interface Counts {
  /** Valid distinct events by type. */
  byType: { transaction: number; usage: number; contact: number; survey: number; profile: number };
  duplicates: number;
  late: number;
  malformedByKind: number[];
  /** Event ids of the late events, in generation order. */
  lateEventIds: string[];
}

const hourCum = (w: readonly number[]): Float64Array => cumulative(w);

export class Simulator {
  readonly counts: Counts = {
    byType: { transaction: 0, usage: 0, contact: 0, survey: 0, profile: 0 },
    duplicates: 0,
    late: 0,
    malformedByKind: MALFORMED_KINDS.map(() => 0),
    lateEventIds: [],
  };
  private seq = 0;
  private contactSeq = 0;
  private surveySeq = 0;
  private readonly style = new TimeStyle();
  /** Texts with known intents (`intentTexts`), or null. */
  readonly intentTexts: IntentTexts | null;
  /** Opt-in behaviour patterns (`patterns`), or null when none is on. */
  readonly patterns: BehaviourPatterns | null;
  private readonly endMs: number;
  private readonly oooMs: number;
  private readonly startDow: number;
  private readonly txHourCum = hourCum(TX_HOUR_WEIGHTS);
  private readonly contactHourCum = hourCum(CONTACT_HOUR_WEIGHTS);
  private readonly channelCum = cumulative(TX_CHANNEL_WEIGHTS);
  private readonly channelCumDrift = cumulative(TX_CHANNEL_WEIGHTS_DRIFT);
  private readonly categoryCum = cumulative(CATEGORY_WEIGHTS);
  private readonly reasonCum = cumulative(REASONS.map((r) => r.weight));
  private readonly reasonCumDrift = cumulative(REASONS.map((r) => r.driftWeight));
  private readonly contactChannelCum = cumulative(CONTACT_CHANNEL_WEIGHTS);
  private readonly regionCum = cumulative(REGION_WEIGHTS);
  private readonly contactDowMean = CONTACT_DOW_FACTORS.reduce((a, b) => a + b, 0) / 7;

  constructor(
    private readonly o: ResolvedOptions,
    private readonly rng: Rng,
    private readonly pop: Population,
    private readonly buffer: EmitBuffer,
  ) {
    this.endMs = o.startMs + o.days * MS_PER_DAY;
    this.oooMs = o.outOfOrderSeconds * 1000;
    this.startDow = (new Date(o.startMs).getUTCDay() + 6) % 7;
    this.intentTexts = o.intentTexts ? new IntentTexts(o.seed) : null;
    this.patterns = o.patterns.size > 0 ? new BehaviourPatterns(o.patterns, o.seed, pop.n, o.days, o.startMs) : null;
  }

  /** Simulates day `d` (0-based); its records may be delivered on this day or later. */
  simulateDay(d: number): void {
    const { rng, pop } = this;
    const dayStart = this.o.startMs + d * MS_PER_DAY;
    const dow = (this.startDow + d) % 7;
    const afterDrift = pop.driftDay >= 0 && d >= pop.driftDay;
    const channelCum = afterDrift ? this.channelCumDrift : this.channelCum;
    const reasonCum = afterDrift ? this.reasonCumDrift : this.reasonCum;
    const contactDow = (CONTACT_DOW_FACTORS[dow] as number) / this.contactDowMean;
    const weekFactors = WEEK_PROFILES.map((p) => p.factors[dow] as number);
    for (let i = 0; i < pop.n; i++) {
      const cid = pop.ids[i] as string;
      if (d === 0) this.profile(i, dayStart + Math.floor(rng.float() * 60_000));
      else if (rng.chance(PROFILE_CHANGE_PER_DAY)) this.profileChange(i, dayStart + this.timeOfDay(this.txHourCum));

      const shift = pop.shiftOf[i];
      const shifted = shift !== undefined && d >= shift.day;
      let amountF = 1;
      let freqF = 1;
      if (shifted && shift.kind === 'spend_amount') amountF = 1 + shift.size;
      if (shifted && shift.kind === 'spend_frequency') freqF = 1 + shift.size;
      if (afterDrift && pop.driftSpend[i] === 1) amountF *= DRIFT_SPEND_FACTOR;

      const weekF = weekFactors[pop.weekProfile[i] as number] as number;
      const { patterns } = this;
      const dayF = patterns ? patterns.dayFactor(i, d, dow, weekF) : weekF;
      const nTx = rng.poisson((pop.txRate[i] as number) * dayF * freqF);
      for (let t = 0; t < nTx; t++) {
        this.transaction(i, cid, dayStart + this.timeOfDay(this.txHourCum), patterns ? amountF * patterns.purchaseFactor() : amountF, channelCum);
      }

      for (let k = 0; k < USAGE_METRICS.length; k++) {
        const metric = USAGE_METRICS[k] as (typeof USAGE_METRICS)[number];
        const f = shifted && shift.kind === 'usage' && shift.metrics.includes(metric) ? 1 + shift.size : 1;
        const sigma = USAGE_PLAN[metric].sigma;
        // Logins are counted events (quantity 1): their shift scales how often they happen.
        const rate = ((pop.usageRate[k] as Float64Array)[i] as number) * (sigma === 0 ? f : 1);
        const nU = rng.poisson(rate);
        const mu = (pop.usageMu[k] as Float64Array)[i] as number;
        for (let u = 0; u < nU; u++) {
          const q = sigma === 0 ? 1 : Math.round(Math.exp(mu + sigma * rng.normal()) * f * 10) / 10;
          this.usage(i, cid, metric, q, dayStart + this.timeOfDay(this.txHourCum));
        }
      }

      const nC = rng.poisson((pop.contactRate[i] as number) * contactDow);
      for (let c = 0; c < nC; c++) {
        const reason = rng.weighted(reasonCum);
        this.contact(i, reason, this.drawContactChannel(), dayStart + this.timeOfDay(this.contactHourCum), 0);
      }
      if (rng.chance(INSTALL_SURVEY_PER_DAY)) this.installSurvey(i, dayStart + this.timeOfDay(this.txHourCum));
    }
    const unknown = rng.poisson(pop.n * MEAN_CONTACTS_PER_DAY * (UNKNOWN_CALLER_SHARE / (1 - UNKNOWN_CALLER_SHARE)) * contactDow);
    for (let c = 0; c < unknown; c++) {
      this.contact(-1, rng.weighted(reasonCum), this.drawContactChannel(), dayStart + this.timeOfDay(this.contactHourCum), 0);
    }
  }

  private timeOfDay(cum: Float64Array): number {
    return this.rng.weighted(cum) * MS_PER_HOUR + Math.floor(this.rng.float() * MS_PER_HOUR);
  }

  private drawContactChannel(): ContactChannelName {
    return CONTACT_CHANNEL_LIST[this.rng.weighted(this.contactChannelCum)] as ContactChannelName;
  }

  /** Hands a valid event to the buffer and decides its imperfections. */
  private deliver(line: string, tsMs: number, customer: number, eventId: string): void {
    const { rng, o, buffer } = this;
    // A late delivery must still land inside the period: appended after the last on-time line
    // it would not be behind any watermark, so it would not be late at all.
    if (o.lateRate > 0 && rng.float() < o.lateRate && tsMs + LATE_DELAY_SECONDS.max * 1000 <= this.endMs) {
      this.counts.late++;
      this.counts.lateEventIds.push(eventId);
      buffer.add(line, tsMs + Math.floor(rng.uniform(LATE_DELAY_SECONDS.min, LATE_DELAY_SECONDS.max) * 1000), TAG_LATE);
    } else {
      const at = tsMs + Math.floor(rng.float() * this.oooMs);
      buffer.add(line, at, TAG_EVENT);
      if (o.duplicateRate > 0 && rng.float() < o.duplicateRate) {
        this.counts.duplicates++;
        buffer.add(line, at + Math.floor(rng.float() * this.oooMs), TAG_DUPLICATE);
      }
    }
    if (o.malformedRate > 0 && rng.float() < o.malformedRate) {
      const kind = rng.int(0, MALFORMED_KINDS.length - 1);
      this.counts.malformedByKind[kind]!++;
      const cid = this.pop.ids[customer < 0 ? 0 : customer] as string;
      buffer.add(malformedLine(kind, rng, `E${++this.seq}`, cid, tsMs), tsMs + Math.floor(rng.float() * this.oooMs), TAG_MALFORMED + kind);
    }
  }

  private profileLine(i: number, id: string, ts: string): string {
    const p = this.pop;
    return `{"type":"profile","event_id":"${id}","ts":${ts},"customer_id":"${p.ids[i] as string}","account_owner":"${ACCOUNT_OWNERS[p.owner[i] as number] as string}","region":"${REGIONS[p.region[i] as number] as string}","age_band":"${AGE_BANDS[p.ageBand[i] as number] as string}","tier":"${TIERS[p.tier[i] as number] as string}","signup_date":"${p.signupDate[i] as string}","segment":"${SEGMENTS[p.segment[i] as number] as string}"}`;
  }

  private profile(i: number, tsMs: number): void {
    this.style.draw(this.rng);
    const id = `E${++this.seq}`;
    this.counts.byType.profile++;
    this.deliver(this.profileLine(i, id, this.style.format(tsMs)), tsMs, i, id);
  }

  /** A slow attribute change: tier up or down, new account owner, region move or segment. */
  private profileChange(i: number, tsMs: number): void {
    const { rng, pop } = this;
    const u = rng.float();
    if (u < 0.4) {
      const tier = pop.tier[i] as number;
      pop.tier[i] = tier === 0 ? 1 : tier === TIERS.length - 1 ? tier - 1 : tier + (rng.chance(0.6) ? 1 : -1);
    } else if (u < 0.7) pop.owner[i] = rng.int(0, ACCOUNT_OWNERS.length - 1);
    else if (u < 0.9) pop.region[i] = rng.weighted(this.regionCum);
    else pop.segment[i] = 1 - (pop.segment[i] as number);
    this.profile(i, tsMs);
  }

  private transaction(i: number, cid: string, tsMs: number, amountF: number, channelCum: Float64Array): void {
    const { rng, pop, style } = this;
    style.draw(rng);
    let amount = Math.max(0.01, Math.round(Math.exp((pop.amountMu[i] as number) + AMOUNT_SIGMA * rng.normal()) * amountF * 100) / 100);
    if (rng.float() < REFUND_SHARE) amount = -amount;
    const cu = rng.float();
    const currency = cu < 0.93 ? `"currency":"${CURRENCIES[pop.currency[i] as number] as string}",` : cu < 0.97 ? '"currency":null,' : '';
    const ku = rng.float();
    const category = ku < 0.05 ? '' : `,"category":"${CATEGORIES[ku < 0.5 ? (pop.favCategory[i] as number) : rng.weighted(this.categoryCum)] as string}"`;
    const id = `E${++this.seq}`;
    this.counts.byType.transaction++;
    this.deliver(
      `{"type":"transaction","event_id":"${id}","ts":${style.format(tsMs)},"customer_id":"${cid}","amount":${amount},${currency}"channel":"${TX_CHANNELS[rng.weighted(channelCum)] as string}"${category}}`,
      tsMs,
      i,
      id,
    );
  }

  private usage(i: number, cid: string, metric: string, quantity: number, tsMs: number): void {
    this.style.draw(this.rng);
    const id = `E${++this.seq}`;
    this.counts.byType.usage++;
    this.deliver(
      `{"type":"usage","event_id":"${id}","ts":${this.style.format(tsMs)},"customer_id":"${cid}","metric":"${metric}","quantity":${quantity}}`,
      tsMs,
      i,
      id,
    );
  }

  /** One contact of customer `i` (-1: unknown caller), then maybe a survey and a repeat contact. */
  private contact(i: number, reason: number, channel: ContactChannelName, queuedMs: number, depth: number): void {
    const { rng, style } = this;
    const r = REASONS[reason] as (typeof REASONS)[number];
    const queue = r.queue as Queue;
    const out = simulateContact(rng, queue, channel, queuedMs);
    style.draw(rng);
    const id = `E${++this.seq}`;
    const contactId = `K${++this.contactSeq}`;
    const tsField = rng.chance(CONTACT_WITHOUT_TS_SHARE) ? '' : `"ts":${style.format(queuedMs)},`;
    const customer = i < 0 ? 'null' : `"${this.pop.ids[i] as string}"`;
    const agent = out.agent === 0 ? 'null' : `"A${QUEUES.indexOf(queue) + 1}${String(out.agent).padStart(2, '0')}"`;
    const answered = out.answeredMs < 0 ? 'null' : style.format(out.answeredMs);
    const text = this.contactText(out, channel, r.code, contactId, i < 0 ? null : (this.pop.ids[i] as string));
    this.counts.byType.contact++;
    this.deliver(
      `{"type":"contact","event_id":"${id}",${tsField}"customer_id":${customer},"contact_id":"${contactId}","channel":"${channel}","queue":"${queue}","reason":"${r.code}","agent_id":${agent},"queued_at":${style.format(queuedMs)},"answered_at":${answered},"ended_at":${style.format(out.endedMs)},"hold_seconds":${out.holdSeconds},"acw_seconds":${out.acwSeconds},"disposition":"${out.disposition}"${text}}`,
      queuedMs,
      i,
      id,
    );
    if (i < 0) return;
    if (out.answeredMs >= 0 && rng.chance(SURVEY_AFTER_HANDLED_CONTACT)) {
      const surveyMs = out.endedMs + Math.floor(rng.uniform(600, 86_400) * 1000);
      if (surveyMs < this.endMs) this.survey(i, surveyMs, contactId, out.disposition === 'resolved', r.code === 'TECH_INSTALL');
    }
    if (depth < MAX_REPEAT_CHAIN && rng.chance(REPEAT_PROBABILITY[out.disposition])) {
      const isCallback = out.disposition === 'callback';
      const delay = isCallback ? CALLBACK_DELAY_SECONDS : REPEAT_DELAY_SECONDS;
      const nextMs = out.endedMs + Math.floor(rng.uniform(delay.min, delay.max) * 1000);
      const nextChannel = isCallback || rng.chance(0.6) ? 'voice' : this.drawContactChannel();
      if (nextMs < this.endMs) this.contact(i, reason, nextChannel, nextMs, depth + 1);
    }
  }

  private contactText(out: ContactOutcome, channel: ContactChannelName, reason: string, contactId: string, customerId: string | null): string {
    const { rng } = this;
    // No transcript for calls and chats that never reached an agent.
    const unanswered = out.answeredMs < 0 && (channel === 'voice' || channel === 'chat');
    if (!TEXT_CHANNELS.has(channel) || unanswered || out.disposition === 'self_service' || !rng.chance(0.5)) return '';
    let pNegative = out.disposition === 'resolved' ? 0.1 : 0.6;
    if (reason === 'RET_CANCEL' || reason === 'BILL_DISPUTE' || reason === 'TECH_NO_SERVICE') pNegative += 0.2;
    const plain = rng.pick(rng.chance(pNegative) ? NEGATIVE_TEXTS : NEUTRAL_TEXTS);
    // The draws above happen either way, so the option changes texts and nothing else.
    if (this.intentTexts && customerId !== null) return `,"text":${JSON.stringify(this.intentTexts.text(contactId, customerId, reason, channel))}`;
    return `,"text":"${plain}"`;
  }

  private survey(i: number, tsMs: number, contactId: string, resolved: boolean, install: boolean): void {
    const { rng } = this;
    const nps = clampInt(resolved ? 8.5 + 1.5 * rng.normal() : 5 + 2 * rng.normal(), 0, 10);
    const csat = clampInt(nps / 2.2 + 0.5 + 0.5 * rng.normal(), 1, 5);
    let answers = `"nps":${nps},"csat":${csat}`;
    if (install)
      answers += `,"ease_of_install":${clampInt(resolved ? 8 + 1.5 * rng.normal() : 4 + 2 * rng.normal(), 1, 10)},"install_completed":${rng.chance(resolved ? 0.9 : 0.4)}`;
    this.writeSurvey(i, tsMs, `"contact_id":"${contactId}",`, answers, nps);
  }

  private installSurvey(i: number, tsMs: number): void {
    const { rng } = this;
    const completed = rng.chance(0.85);
    const ease = clampInt(completed ? 7.5 + 1.8 * rng.normal() : 3.5 + 2 * rng.normal(), 1, 10);
    const nps = clampInt(completed ? 7.5 + 2 * rng.normal() : 4 + 2 * rng.normal(), 0, 10);
    this.writeSurvey(i, tsMs, '', `"nps":${nps},"ease_of_install":${ease},"install_completed":${completed}`, nps);
  }

  private writeSurvey(i: number, tsMs: number, link: string, answers: string, nps: number): void {
    const { rng, style } = this;
    style.draw(rng);
    const id = `E${++this.seq}`;
    const comment = rng.chance(0.3) ? `,"comment":"${rng.pick(nps <= 6 ? NEGATIVE_COMMENTS : POSITIVE_COMMENTS)}"` : '';
    this.counts.byType.survey++;
    this.deliver(
      `{"type":"survey","event_id":"${id}","ts":${style.format(tsMs)},"customer_id":"${this.pop.ids[i] as string}","survey_id":"S${++this.surveySeq}",${link}"answers":{${answers}}${comment}}`,
      tsMs,
      i,
      id,
    );
  }
}

function clampInt(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(x)));
}
