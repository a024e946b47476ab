/**
 * The fixed vocabulary and population mixes of the synthetic world. Everything a reader of the
 * ground truth may want to check (shares, mixes, KPI parameters) is defined here once and copied
 * into the truth file, so the file always matches what was generated.
 */

export const REGIONS = ['North', 'South', 'East', 'West', 'Central', 'Metro', 'Islands'] as const;
export const REGION_WEIGHTS = [0.25, 0.2, 0.17, 0.14, 0.12, 0.08, 0.04];

export const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] as const;
export const AGE_BAND_WEIGHTS = [0.12, 0.24, 0.22, 0.18, 0.14, 0.1];

export const TIERS = ['Bronze', 'Silver', 'Gold'] as const;
export const TIER_WEIGHTS = [0.6, 0.3, 0.1];
/** Spend scale multiplier per tier (Gold customers buy bigger baskets). */
export const TIER_SPEND = [1, 1.5, 2.5];

export const SEGMENTS = ['consumer', 'small_business'] as const;
export const SEGMENT_WEIGHTS = [0.85, 0.15];

const MANAGER_NAMES = [
  'ana.silva',
  'ben.okafor',
  'chloe.martin',
  'david.kim',
  'elena.rossi',
  'farid.haddad',
  'grace.liu',
  'hugo.meyer',
  'ines.garcia',
  'jonas.berg',
  'kavya.nair',
  'leo.dubois',
  'maria.novak',
  'nils.jensen',
  'olivia.brown',
  'pedro.alves',
  'quinn.walsh',
  'rosa.costa',
  'sami.virtanen',
  'tara.singh',
];
export const ACCOUNT_OWNERS = MANAGER_NAMES.map((n) => `${n}@pulse-demo.example`);

export const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
export const CURRENCY_WEIGHTS = [0.8, 0.12, 0.08];

export const TX_CHANNELS = ['web', 'store', 'app', 'phone'] as const;
export const TX_CHANNEL_WEIGHTS = [0.35, 0.3, 0.25, 0.1];
/** Channel mix after the drift start (drift feature `transaction_channel`). */
export const TX_CHANNEL_WEIGHTS_DRIFT = [0.27, 0.22, 0.45, 0.06];

export const CATEGORIES = ['groceries', 'electronics', 'fashion', 'home', 'travel', 'entertainment', 'services', 'health'] as const;
export const CATEGORY_WEIGHTS = [0.28, 0.1, 0.14, 0.12, 0.06, 0.12, 0.1, 0.08];

export const USAGE_METRICS = ['data_mb', 'minutes', 'logins'] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];

/**
 * Weekly profiles (index 0 = Monday ... 6 = Sunday), each normalised to a mean of 1 so that a
 * customer's base rate stays its mean daily rate. Shares: weekend shoppers, weekday buyers, flat.
 */
export const WEEK_PROFILES = [
  { name: 'weekend', share: 0.4, factors: [0.8, 0.75, 0.8, 0.85, 1.0, 2.0, 1.4] },
  { name: 'weekday', share: 0.3, factors: [1.15, 1.15, 1.15, 1.15, 1.2, 0.6, 0.6] },
  { name: 'flat', share: 0.3, factors: [1, 1, 1, 1, 1, 1, 1] },
].map((p) => {
  const mean = p.factors.reduce((a, b) => a + b, 0) / 7;
  return { ...p, factors: p.factors.map((f) => f / mean) };
});

/** Hour-of-day weights (UTC) for transactions and usage: daytime and evening heavy. */
export const TX_HOUR_WEIGHTS = [0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 1.8, 2.0, 2.2, 2.5, 2.3, 2.0, 2.0, 2.2, 2.6, 3.0, 3.0, 2.6, 2.0, 1.2, 0.6];
/** Hour-of-day weights (UTC) for contacts: office hours (08-18) carry most of the load. */
export const CONTACT_HOUR_WEIGHTS = [
  0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 2.5, 3.5, 3.8, 3.6, 3.0, 3.2, 3.5, 3.3, 3.0, 2.5, 1.2, 0.8, 0.6, 0.4, 0.3, 0.2,
];
/** Contacts are rarer at weekends (Monday first). */
export const CONTACT_DOW_FACTORS = [1.25, 1.1, 1.05, 1.05, 1.0, 0.8, 0.75];

export const QUEUES = ['billing', 'tech_support', 'sales', 'retention'] as const;
export type Queue = (typeof QUEUES)[number];

/** Contact-reason codes with their queue, population weight and weight after the drift start. */
export const REASONS = [
  { code: 'BILL_PAYMENT', queue: 'billing', weight: 0.14, driftWeight: 0.1 },
  { code: 'BILL_DISPUTE', queue: 'billing', weight: 0.1, driftWeight: 0.08 },
  { code: 'BILL_PLAN_CHANGE', queue: 'billing', weight: 0.08, driftWeight: 0.06 },
  { code: 'ACCOUNT_UPDATE', queue: 'billing', weight: 0.08, driftWeight: 0.06 },
  { code: 'TECH_NO_SERVICE', queue: 'tech_support', weight: 0.12, driftWeight: 0.26 },
  { code: 'TECH_SLOW', queue: 'tech_support', weight: 0.1, driftWeight: 0.16 },
  { code: 'TECH_INSTALL', queue: 'tech_support', weight: 0.08, driftWeight: 0.06 },
  { code: 'TECH_DEVICE', queue: 'tech_support', weight: 0.08, driftWeight: 0.06 },
  { code: 'SALES_UPGRADE', queue: 'sales', weight: 0.08, driftWeight: 0.06 },
  { code: 'SALES_NEW', queue: 'sales', weight: 0.06, driftWeight: 0.04 },
  { code: 'RET_CANCEL', queue: 'retention', weight: 0.08, driftWeight: 0.06 },
] as const;

export const CONTACT_CHANNEL_LIST = ['voice', 'chat', 'email', 'web', 'ivr', 'social'] as const;
export type ContactChannelName = (typeof CONTACT_CHANNEL_LIST)[number];
export const CONTACT_CHANNEL_WEIGHTS = [0.45, 0.2, 0.1, 0.1, 0.1, 0.05];
/** Share of contacts on a channel that end in self-service (never reach a queue). */
export const SELF_SERVICE_SHARE: Record<ContactChannelName, number> = {
  voice: 0,
  chat: 0,
  email: 0,
  web: 0.7,
  ivr: 0.65,
  social: 0,
};

/**
 * Intended contact-center behaviour per queue for live channels (voice, chat, and ivr/web
 * contacts that reach an agent). Email and social are answered asynchronously (see
 * ASYNC_CHANNELS) and never abandon.
 */
export interface QueuePlan {
  agents: number;
  /** P(abandoned) among offered contacts. */
  abandon: number;
  /** P(wait < 5 s) among abandoned contacts. */
  shortAbandonShare: number;
  /** P(callback) among offered voice contacts (not answered, not abandoned). */
  callback: number;
  /** P(wait <= 20 s) among answered live contacts. */
  answeredWithin20s: number;
  /** Mean extra wait beyond 20 s of the slow answers, seconds. */
  slowWaitMeanSeconds: number;
  /** Median talk time (answered to ended, hold included), seconds. */
  talkMedianSeconds: number;
  transfer: number;
  /** P(resolved) among answered (the rest, after transfers, is unresolved). */
  resolve: number;
}

export const QUEUE_PLANS: Record<Queue, QueuePlan> = {
  billing: {
    agents: 12,
    abandon: 0.08,
    shortAbandonShare: 0.3,
    callback: 0.03,
    answeredWithin20s: 0.75,
    slowWaitMeanSeconds: 60,
    talkMedianSeconds: 270,
    transfer: 0.08,
    resolve: 0.75,
  },
  tech_support: {
    agents: 15,
    abandon: 0.12,
    shortAbandonShare: 0.25,
    callback: 0.05,
    answeredWithin20s: 0.55,
    slowWaitMeanSeconds: 150,
    talkMedianSeconds: 420,
    transfer: 0.15,
    resolve: 0.62,
  },
  sales: {
    agents: 8,
    abandon: 0.05,
    shortAbandonShare: 0.35,
    callback: 0.02,
    answeredWithin20s: 0.85,
    slowWaitMeanSeconds: 40,
    talkMedianSeconds: 330,
    transfer: 0.05,
    resolve: 0.8,
  },
  retention: {
    agents: 6,
    abandon: 0.1,
    shortAbandonShare: 0.3,
    callback: 0.06,
    answeredWithin20s: 0.6,
    slowWaitMeanSeconds: 90,
    talkMedianSeconds: 480,
    transfer: 0.1,
    resolve: 0.55,
  },
};

/** Asynchronous channels: median first-response time and handling time, seconds. */
export const ASYNC_CHANNELS = {
  email: { responseMedianSeconds: 3 * 3600, handleMedianSeconds: 240 },
  web: { responseMedianSeconds: 2 * 3600, handleMedianSeconds: 180 },
  social: { responseMedianSeconds: 45 * 60, handleMedianSeconds: 150 },
} as const;

/** P(the same customer contacts again about the same reason within 6 days), by disposition. */
export const REPEAT_PROBABILITY = {
  resolved: 0.1,
  unresolved: 0.55,
  transferred: 0.35,
  abandoned: 0.6,
  callback: 0.8,
  self_service: 0.25,
} as const;
/** Repeat contacts come 2 hours to 6 days later (callbacks: 15 minutes to 4 hours). */
export const REPEAT_DELAY_SECONDS = { min: 2 * 3600, max: 6 * 86_400 } as const;
export const CALLBACK_DELAY_SECONDS = { min: 15 * 60, max: 4 * 3600 } as const;

/** Share of contacts from unknown callers (`customer_id` null). */
export const UNKNOWN_CALLER_SHARE = 0.03;
/** Share of contact records written without `ts` (queued_at is the event time). */
export const CONTACT_WITHOUT_TS_SHARE = 0.3;

export const NEUTRAL_TEXTS = [
  'Customer asked about the latest invoice and the due date',
  'Wanted to confirm the plan details before renewing',
  'Question about how to set up the new router',
  'Asked to update the postal address on the account',
  'Interested in the family bundle offer',
  'Thanks for the quick help with my account',
  'Checked the status of the order and delivery time',
];
export const NEGATIVE_TEXTS = [
  'This is the third time I call and nothing is fixed, very frustrated',
  'Terrible service, the internet keeps dropping every evening',
  'I was charged twice and nobody helps me, unacceptable',
  'Waited forever on hold, I am thinking of cancelling',
  'The technician never showed up, really disappointed',
  'Still broken after the last call, this is ridiculous',
  'I want to cancel, the price went up again without notice',
];
export const POSITIVE_COMMENTS = ['Quick and friendly help', 'Installation was easy', 'Agent solved it on the first call', 'Great service, thanks'];
export const NEGATIVE_COMMENTS = [
  'Took far too long',
  'Problem not solved',
  'Had to call several times',
  'Installation failed and nobody called back',
  'Too expensive for what I get',
];
