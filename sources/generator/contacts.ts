import { ASYNC_CHANNELS, QUEUE_PLANS, SELF_SERVICE_SHARE } from './catalog.js';
import type { ContactChannelName, Queue } from './catalog.js';
import type { Rng } from './rng.js';

/**
 * How one contact plays out: self-service, abandon, callback or an answered interaction, with
 * waits, talk, hold and after-contact work drawn from the queue's plan (catalog.ts). Pure apart
 * from the random source; the caller formats the record.
 */

export type ContactDisposition = 'resolved' | 'unresolved' | 'transferred' | 'abandoned' | 'callback' | 'self_service';

export interface ContactOutcome {
  disposition: ContactDisposition;
  /** Epoch ms, or -1 when never answered. */
  answeredMs: number;
  endedMs: number;
  holdSeconds: number;
  acwSeconds: number;
  /** Agent number within the queue (1-based), or 0 when no agent handled it. */
  agent: number;
}

export const SHORT_ABANDON_MAX_SECONDS = 4.9;

function answeredDisposition(rng: Rng, queue: Queue): ContactDisposition {
  const plan = QUEUE_PLANS[queue];
  const u = rng.float();
  if (u < plan.transfer) return 'transferred';
  if (u < plan.transfer + plan.resolve) return 'resolved';
  return 'unresolved';
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

export function simulateContact(rng: Rng, queue: Queue, channel: ContactChannelName, queuedMs: number): ContactOutcome {
  const plan = QUEUE_PLANS[queue];
  if (rng.chance(SELF_SERVICE_SHARE[channel])) {
    return {
      disposition: 'self_service',
      answeredMs: -1,
      endedMs: queuedMs + Math.round(rng.uniform(20, 300) * 1000),
      holdSeconds: 0,
      acwSeconds: 0,
      agent: 0,
    };
  }
  const agent = rng.int(1, plan.agents);
  if (channel === 'email' || channel === 'web' || channel === 'social') {
    const a = ASYNC_CHANNELS[channel];
    const answeredMs = queuedMs + Math.round(rng.lognormal(Math.log(a.responseMedianSeconds), 0.8) * 1000);
    const endedMs = answeredMs + Math.round(rng.lognormal(Math.log(a.handleMedianSeconds), 0.5) * 1000);
    return { disposition: answeredDisposition(rng, queue), answeredMs, endedMs, holdSeconds: 0, acwSeconds: round1(rng.uniform(10, 60)), agent };
  }
  // Live channels: voice, chat, and ivr contacts that reach an agent.
  const u = rng.float();
  if (u < plan.abandon) {
    const waitS = rng.chance(plan.shortAbandonShare) ? rng.uniform(0.5, SHORT_ABANDON_MAX_SECONDS) : 5 + rng.exponential(90);
    return { disposition: 'abandoned', answeredMs: -1, endedMs: queuedMs + Math.round(waitS * 1000), holdSeconds: 0, acwSeconds: 0, agent: 0 };
  }
  if (channel === 'voice' && u < plan.abandon + plan.callback) {
    return {
      disposition: 'callback',
      answeredMs: -1,
      endedMs: queuedMs + Math.round((10 + rng.exponential(60)) * 1000),
      holdSeconds: 0,
      acwSeconds: 0,
      agent: 0,
    };
  }
  // Fast answers are within 20 s inclusive, slow ones strictly beyond it (SPEC service level).
  const waitS = rng.chance(plan.answeredWithin20s) ? rng.uniform(1, 20) : 20.5 + rng.exponential(plan.slowWaitMeanSeconds);
  const answeredMs = queuedMs + Math.round(waitS * 1000);
  const talkS = rng.lognormal(Math.log(plan.talkMedianSeconds * (channel === 'chat' ? 1.4 : 1)), 0.6);
  const holdSeconds = channel === 'voice' && rng.chance(0.3) ? round1(Math.min(talkS / 2, rng.exponential(60))) : 0;
  return {
    disposition: answeredDisposition(rng, queue),
    answeredMs,
    endedMs: answeredMs + Math.round(talkS * 1000),
    holdSeconds,
    acwSeconds: round1(rng.uniform(15, 120)),
    agent,
  };
}
