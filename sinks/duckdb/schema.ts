/**
 * DuckDB tables of the product contract (SPEC section 3) and the job's internal state tables.
 *
 * Every time column is TIMESTAMPTZ in UTC; windows are half-open [window_start, window_end).
 * Statements are idempotent so that opening an existing database is harmless; columns added in a
 * later version reach older database files through `createOrUpgradeTables` (migrate.ts).
 */

/** Output tables users and downstream jobs read. */
export const OUTPUT_TABLES_DDL = [
  `CREATE TABLE IF NOT EXISTS customer_windows (
    customer_id VARCHAR NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    spend_total DOUBLE NOT NULL,
    spend_count BIGINT NOT NULL,
    spend_max DOUBLE,
    refund_total DOUBLE NOT NULL,
    usage_total DOUBLE NOT NULL,
    usage JSON NOT NULL,
    contacts BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS contact_kpis (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    queue VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    offered BIGINT NOT NULL,
    handled BIGINT NOT NULL,
    abandoned BIGINT NOT NULL,
    short_abandoned BIGINT NOT NULL,
    self_service BIGINT NOT NULL,
    abandon_rate DOUBLE,
    aht_seconds DOUBLE,
    asa_seconds DOUBLE,
    avg_queue_seconds DOUBLE,
    service_level DOUBLE,
    transfer_rate DOUBLE,
    self_service_rate DOUBLE,
    fcr_rate DOUBLE,
    fcr_final BOOLEAN NOT NULL,
    -- additive columns (operators/contact-kpis): the counts behind the rates, resolved volume
    transferred BIGINT,
    resolved BIGINT,
    resolved_per_minute DOUBLE,
    fcr_eligible BIGINT,
    fcr_resolved BIGINT,
    -- the reason-list version the row's contacts were mapped with (NULL: none saved, codes as they arrived)
    taxonomy_version INTEGER
  )`,
  `CREATE TABLE IF NOT EXISTS contact_reason_volumes (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    queue VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    contacts BIGINT NOT NULL,
    -- the reason-list version that mapped the reason (NULL: none saved, the code as it arrived)
    taxonomy_version INTEGER
  )`,
  `CREATE TABLE IF NOT EXISTS alerts (
    alert_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    customer_id VARCHAR,
    window_start TIMESTAMPTZ NOT NULL,
    fired_at TIMESTAMPTZ NOT NULL,
    labels JSON NOT NULL,
    annotations JSON NOT NULL,
    status VARCHAR NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS drift_metrics (
    run_id VARCHAR NOT NULL,
    feature VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    score DOUBLE,
    p_value DOUBLE,
    threshold DOUBLE,
    drifted BOOLEAN,
    reference_start TIMESTAMPTZ,
    reference_end TIMESTAMPTZ,
    current_start TIMESTAMPTZ,
    current_end TIMESTAMPTZ,
    -- additive (SPEC section 7: every statistic stored, whichever decides): PSI, KS, Wasserstein,
    -- Jensen-Shannon, chi-square and the two sample sizes
    statistics JSON
  )`,
  // additive (operators/population-drift): value tiers and RFM, and tier migration per rescoring
  `CREATE TABLE IF NOT EXISTS customer_segments (
    customer_id VARCHAR NOT NULL,
    tier VARCHAR NOT NULL,
    recency_days DOUBLE NOT NULL,
    frequency BIGINT NOT NULL,
    monetary DOUBLE NOT NULL,
    r_score INTEGER NOT NULL,
    f_score INTEGER NOT NULL,
    m_score INTEGER NOT NULL,
    rfm VARCHAR NOT NULL,
    trailing_spend DOUBLE NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS segment_migrations (
    run_id VARCHAR NOT NULL,
    from_tier VARCHAR NOT NULL,
    to_tier VARCHAR NOT NULL,
    customers BIGINT NOT NULL,
    revenue_share DOUBLE NOT NULL
  )`,
  // The customers of a move together (customer_shifts, issue 17): each customer's alert held back
  // because its shift or silence is part of a move, under the id of the move's analytic alert.
  `CREATE TABLE IF NOT EXISTS move_members (
    alert_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    measure VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    onset_start TIMESTAMPTZ NOT NULL,
    window_start TIMESTAMPTZ NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS cases (
    case_id VARCHAR NOT NULL,
    alert_id VARCHAR,
    customer_id VARCHAR,
    category VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    team VARCHAR NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ
  )`,
  // Leads (issue 16): one row per firing of a service_triggers rule with trigger `intent`, written
  // once by the job (status new); after that only people change status, value and updated_by.
  `CREATE TABLE IF NOT EXISTS leads (
    lead_id VARCHAR NOT NULL,
    alert_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    intent VARCHAR NOT NULL,
    confidence DOUBLE NOT NULL,
    source_contact VARCHAR,
    team VARCHAR NOT NULL,
    tier VARCHAR,
    account_owner VARCHAR,
    trailing_spend DOUBLE,
    excerpt VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,
    value DOUBLE,
    updated_by VARCHAR,
    updated_at TIMESTAMPTZ
  )`,
  // Audit trail of cases (sinks/cases): who changed what and when; `seq` orders the events and
  // `notified` marks the changes already sent through the alert routing.
  `CREATE TABLE IF NOT EXISTS case_events (
    seq BIGINT NOT NULL,
    case_id VARCHAR NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    from_status VARCHAR,
    to_status VARCHAR,
    from_team VARCHAR,
    to_team VARCHAR,
    assignee VARCHAR,
    note VARCHAR,
    notified BOOLEAN NOT NULL
  )`,
  // Outcomes (issue 16, sinks/outcomes): what came of every alert, lead and case, one row per
  // judgement, never changed. `alert_id` is the alert behind the subject (itself, the lead's or the
  // case's), so figures per rule need no join through leads and cases. source: person (CLI,
  // console, command API) or inferred (the job, from later transactions); `seq` orders the rows.
  `CREATE TABLE IF NOT EXISTS outcomes (
    seq BIGINT NOT NULL,
    subject_kind VARCHAR NOT NULL,
    subject_id VARCHAR NOT NULL,
    alert_id VARCHAR,
    outcome VARCHAR NOT NULL,
    value DOUBLE,
    actor VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    note VARCHAR
  )`,
  `CREATE TABLE IF NOT EXISTS dead_letters (
    source VARCHAR NOT NULL,
    position VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    detail VARCHAR NOT NULL,
    event_type VARCHAR NOT NULL,
    raw VARCHAR NOT NULL
  )`,
];

/** Internal state: checkpoint positions, job-level state, keyed operator state, dedup ids. */
export const STATE_TABLES_DDL = [
  `CREATE TABLE IF NOT EXISTS pulse_checkpoints (
    source VARCHAR NOT NULL,
    partition VARCHAR NOT NULL,
    "offset" BIGINT NOT NULL,
    resume BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    fingerprint VARCHAR,
    PRIMARY KEY (source, partition)
  )`,
  `CREATE TABLE IF NOT EXISTS pulse_job_state (
    key VARCHAR PRIMARY KEY,
    value JSON NOT NULL
  )`,
  // customer_id: set for customer-keyed state (it moves with the customer's source partition),
  // NULL for population-level state.
  `CREATE TABLE IF NOT EXISTS pulse_state (
    operator VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    value JSON NOT NULL,
    customer_id VARCHAR
  )`,
  // customer_id: duplicates are judged per customer (operators/dedup.ts); it also says which worker
  // thread an id goes back to after a restart. NULL for an unknown caller (and for ids stored by
  // versions before it, which then count for every customer).
  `CREATE TABLE IF NOT EXISTS pulse_dedup (
    event_id VARCHAR NOT NULL,
    ts BIGINT NOT NULL,
    partition VARCHAR,
    customer_id VARCHAR
  )`,
  // The source partition whose events a customer's state came from (sources whose partitions can
  // move between processes only): what a partition hand-over moves. Keyed by customer_id through
  // the writer's delete-then-insert, without a PRIMARY KEY: an index over millions of customers
  // would cost memory and time at every checkpoint for no check the writer does not already make.
  `CREATE TABLE IF NOT EXISTS pulse_partition_owners (
    customer_id VARCHAR NOT NULL,
    partition VARCHAR NOT NULL
  )`,
  // Alert delivery outbox (sinks/alerts/outbox.ts): one row per alert, alert status and receiver,
  // written in the checkpoint transaction; status is pending, delivered, dead or muted.
  `CREATE TABLE IF NOT EXISTS pulse_outbox (
    alert_id VARCHAR NOT NULL,
    alert_status VARCHAR NOT NULL,
    receiver VARCHAR NOT NULL,
    group_key VARCHAR NOT NULL,
    payload JSON NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error VARCHAR,
    notification_key VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    PRIMARY KEY (alert_id, alert_status, receiver)
  )`,
  // Notification groups of the delivery worker: when each group was last notified.
  `CREATE TABLE IF NOT EXISTS pulse_alert_groups (
    receiver VARCHAR NOT NULL,
    group_key VARCHAR NOT NULL,
    last_notified_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (receiver, group_key)
  )`,
  // Reports of alerts (pipelines/report-queue.ts): one request per alert id and version (firing,
  // resolved; both render the same file), written in the checkpoint transaction and rendered after
  // the commit in `seq` order. status: pending, done, failed, or superseded (a later version of the
  // same alert was pending too, so only that one is rendered). `renders` counts completed renders.
  `CREATE TABLE IF NOT EXISTS pulse_report_requests (
    alert_id VARCHAR NOT NULL,
    alert_status VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    report_path VARCHAR NOT NULL,
    seq BIGINT NOT NULL,
    status VARCHAR NOT NULL,
    renders INTEGER NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    rendered_at TIMESTAMPTZ,
    last_error VARCHAR,
    PRIMARY KEY (alert_id, alert_status)
  )`,
  // People who sign in to the web console (console/users.ts, `pulse users add`): argon2id hashes only.
  `CREATE TABLE IF NOT EXISTS console_users (
    name VARCHAR PRIMARY KEY,
    team VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    -- where case notices reach the user (e-mail receivers with to_team_members); NULL: none
    email VARCHAR,
    -- carried by the user's session cookies; a new one (pulse users passwd) ends the sessions
    -- that carry the old. NULL: the user has had no new one since this column was added
    session_key VARCHAR
  )`,
  // Contact-reason taxonomy (sinks/taxonomy): every saved version whole, never changed; the
  // newest is the active one.
  `CREATE TABLE IF NOT EXISTS reason_taxonomy_versions (
    version INTEGER PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    created_by VARCHAR NOT NULL,
    comment VARCHAR NOT NULL,
    taxonomy JSON NOT NULL
  )`,
  // Contact-reason codes the active reason list did not know, per channel (sinks/taxonomy/unknown-codes.ts),
  // added to at checkpoints; the console's reasons page lists them.
  `CREATE TABLE IF NOT EXISTS reason_unknown_codes (
    channel VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    count BIGINT NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    taxonomy_version INTEGER NOT NULL,
    PRIMARY KEY (channel, code)
  )`,
  // Silences added at run time (config silences live in the job YAML).
  `CREATE TABLE IF NOT EXISTS pulse_silences (
    silence_id VARCHAR PRIMARY KEY,
    matchers JSON NOT NULL,
    starts_at TIMESTAMPTZ,
    ends_at TIMESTAMPTZ NOT NULL,
    created_by VARCHAR NOT NULL,
    comment VARCHAR NOT NULL
  )`,
];
