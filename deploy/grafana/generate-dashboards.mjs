#!/usr/bin/env node
// Builds the Grafana dashboards in deploy/grafana/dashboards/ from one description per panel, so
// that layout, datasource and variables stay consistent. Edit this file, then run
//   node deploy/grafana/generate-dashboards.mjs
// test/deploy/dashboards.test.ts fails when the JSON files are stale.
//
// Conventions the tests rely on:
// - every non-row panel has at least one target and a description (what it means, what to do);
// - panels use the datasource variable ${DS_PROMETHEUS} (provisioned uid: pulse-prometheus);
// - dashboard variables are used as label=~"$var" so "All" (.*) works.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATASOURCE_UID = 'pulse-prometheus';
const DS = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
const GIB = 1024 * 1024 * 1024;

/** Panel kinds: time series (default), stat, bar gauge. `thresholds` draws lines on time series. */
function panel(spec) {
  const { title, description, targets, unit = 'short', min, max, thresholds, type = 'timeseries', w = 12, h = 8, stack = false, decimals } = spec;
  const steps = thresholds
    ? [{ color: thresholds.base ?? 'green', value: null }, ...thresholds.steps.map(([value, color]) => ({ color, value }))]
    : [{ color: 'green', value: null }];
  const defaults = {
    unit,
    color: { mode: type === 'timeseries' ? 'palette-classic' : 'thresholds' },
    thresholds: { mode: 'absolute', steps },
    mappings: [],
  };
  if (min !== undefined) defaults.min = min;
  if (max !== undefined) defaults.max = max;
  if (decimals !== undefined) defaults.decimals = decimals;
  if (type === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: stack ? 30 : 10,
      showPoints: 'never',
      spanNulls: false,
      stacking: { mode: stack ? 'normal' : 'none', group: 'A' },
      axisPlacement: 'auto',
      thresholdsStyle: { mode: thresholds ? 'dashed' : 'off' },
    };
  }
  const options =
    type === 'timeseries'
      ? { legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } }
      : type === 'stat'
        ? {
            reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
            colorMode: 'value',
            graphMode: 'area',
            justifyMode: 'auto',
            orientation: 'auto',
            textMode: 'auto',
          }
        : { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, displayMode: 'gradient', orientation: 'horizontal', showUnfilled: true };
  return {
    type,
    title,
    description,
    datasource: DS,
    w,
    h,
    targets: targets.map(([expr, legendFormat], i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      editorMode: 'code',
      expr,
      legendFormat,
      range: true,
      instant: false,
    })),
    fieldConfig: { defaults, overrides: [] },
    options,
  };
}

function row(title) {
  return { type: 'row', title, collapsed: false, panels: [] };
}

/** Lays panels out left to right in a 24-column grid; rows start a new line. */
function layout(items) {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return items.map((item, index) => {
    const id = index + 1;
    if (item.type === 'row') {
      if (x > 0) y += rowHeight;
      const placed = { ...item, id, gridPos: { h: 1, w: 24, x: 0, y } };
      y += 1;
      x = 0;
      rowHeight = 0;
      return placed;
    }
    const { w, h, ...rest } = item;
    if (x + w > 24) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    const placed = { ...rest, id, gridPos: { h, w, x, y } };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return placed;
  });
}

function queryVariable(name, label, metric) {
  const query = `label_values(${metric}, ${name})`;
  return {
    type: 'query',
    name,
    label,
    datasource: DS,
    definition: query,
    query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    includeAll: true,
    allValue: '.*',
    multi: true,
    refresh: 2,
    sort: 1,
    regex: '',
    hide: 0,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
  };
}

const DATASOURCE_VARIABLE = {
  type: 'datasource',
  name: 'DS_PROMETHEUS',
  label: 'Prometheus',
  query: 'prometheus',
  regex: '',
  hide: 0,
  refresh: 1,
  includeAll: false,
  multi: false,
  current: { selected: true, text: 'Prometheus', value: DATASOURCE_UID },
  options: [],
};

const INSTANCE = queryVariable('instance', 'Worker', 'pulse_process_start_time_seconds');

function dashboard({ uid, title, description, tags, variables, panels }) {
  return {
    uid,
    title,
    description,
    tags: ['customer-pulse', ...tags],
    editable: true,
    graphTooltip: 1,
    timezone: 'browser',
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    schemaVersion: 39,
    version: 1,
    weekStart: '',
    links: [{ type: 'dashboards', title: 'customer-pulse', tags: ['customer-pulse'], asDropdown: true, includeVars: true, keepTime: true }],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: { list: [DATASOURCE_VARIABLE, ...variables] },
    panels: layout(panels),
  };
}

const I = 'instance=~"$instance"';
const RI = '$__rate_interval';

export function pipelineHealth() {
  return dashboard({
    uid: 'pulse-pipeline-health',
    title: 'customer-pulse / Pipeline health',
    description: 'Throughput, rejects, event-time progress, checkpoints, alert delivery and process health of the pipeline workers.',
    tags: ['pipeline'],
    variables: [INSTANCE],
    panels: [
      row('Throughput and input quality'),
      panel({
        title: 'Events ingested per second, by type',
        description:
          'Events accepted into the pipeline (valid, not duplicate, not too late) per second, by event type. Counted when a checkpoint commits, so the line moves in steps of the checkpoint interval. ' +
          'Bad: a type drops to zero while its producer is sending (check rejects and the source), or the total falls below the input rate (see watermark and source lag).',
        targets: [[`sum by (type) (rate(pulse_events_ingested_total{${I}}[${RI}]))`, '{{type}}']],
        unit: 'ops',
        min: 0,
        stack: true,
      }),
      panel({
        title: 'Records rejected per second, by reason',
        description:
          'Records sent to the dead-letter output (dead_letters table, FILE.rejects.ndjson or the DLQ topic) per second, by reason (invalid JSON, missing field, wrong type, impossible value, late, duplicate). Counted when the checkpoint that writes them commits, as ingested events are. ' +
          'Bad: any sustained rate other than duplicate (expected in small numbers after a Kafka redelivery). Read examples in the dead_letters table; a new reason after a deploy of a producer is the usual cause. Late rejects mean allowed_lateness is too short for that producer.',
        targets: [[`sum by (type, reason) (rate(pulse_events_rejected_total{${I}}[${RI}]))`, '{{type}} / {{reason}}']],
        unit: 'ops',
        min: 0,
        stack: true,
      }),
      panel({
        title: 'Dead-letter ratio',
        description:
          'Share of records rejected as bad data: rejected / (rejected + ingested), leaving out duplicates (expected after a Kafka redelivery; they show as reason duplicate on the left). Both counts move when a checkpoint commits, so the ratio compares the same records; it has no value before the first checkpoint. ' +
          'Bad: above 5% for 10 minutes (alert PulseDeadLetterRateHigh) or 25% (PulseDeadLetterRateCritical): aggregates and KPIs under-count. Break it down on the panel to the left and fix the producer first.',
        targets: [
          [
            `sum(rate(pulse_events_rejected_total{${I}, reason!="duplicate"}[${RI}])) / (sum(rate(pulse_events_rejected_total{${I}, reason!="duplicate"}[${RI}])) + sum(rate(pulse_events_ingested_total{${I}}[${RI}])))`,
            'dead-letter ratio',
          ],
        ],
        unit: 'percentunit',
        min: 0,
        max: 1,
        thresholds: {
          steps: [
            [0.05, 'orange'],
            [0.25, 'red'],
          ],
        },
      }),
      panel({
        title: 'Output rows per second, by table',
        description:
          'Rows written to the output tables (customer_windows, contact_kpis, alerts, drift_metrics, ...) per second, at checkpoints. Windows are written when the watermark closes them, so this follows event time, not arrival. ' +
          'Bad: zero for a long time while events are ingested means windows never close: check the watermark panels.',
        targets: [[`sum by (kind) (rate(pulse_output_rows_total{${I}}[${RI}]))`, '{{kind}}']],
        unit: 'rowsps',
        min: 0,
      }),
      row('Event time and source progress'),
      panel({
        title: 'Watermark lag',
        description:
          'Wall-clock time minus the event-time watermark, per worker. Small and flat when the job keeps up (about max_out_of_orderness plus the checkpoint interval); large while replaying history; growing at one second per second when the job or its input has stalled. ' +
          'Bad: above 10 minutes and rising (alert PulseWatermarkLagGrowing). Compare throughput with the input rate and check CPU, memory and checkpoint duration.',
        targets: [[`max by (instance) (pulse_watermark_lag_seconds{${I}})`, '{{instance}}']],
        unit: 's',
        min: 0,
        thresholds: {
          steps: [
            [600, 'orange'],
            [3600, 'red'],
          ],
        },
      }),
      panel({
        title: 'Kafka consumer lag, by topic',
        description:
          'Messages between the committed position and the end of each Kafka topic, summed over partitions (only with the Kafka source). ' +
          'Bad: rising steadily (alert PulseSourceLagGrowing above 10k and rising). The job reads slower than producers write: give the worker more CPU, or add partitions and workers (see deploy/README.md before scaling out).',
        targets: [[`sum by (topic) (pulse_source_lag_messages{${I}})`, '{{topic}}']],
        unit: 'short',
        min: 0,
        thresholds: { steps: [[10000, 'orange']] },
      }),
      panel({
        title: 'Records read per second, by source partition',
        description:
          "Rate of change of the source position (line number, row or Kafka offset of the last processed record), per source and partition: a file is named by the end of its path that tells it from the job's other inputs (its file name, or day/events.ndjson when names repeat), a Kafka partition by its number. " +
          'Bad: one partition at zero while the others move holds the watermark back until idle_timeout; all at zero with a non-empty input means the job is stuck (see the event loop panel and the logs).',
        targets: [[`sum by (source, partition) (rate(pulse_source_position{${I}}[${RI}]))`, '{{source}} {{partition}}']],
        unit: 'ops',
        min: 0,
      }),
      panel({
        title: 'Watermark (event time)',
        description:
          'The event-time watermark of each worker, as a date. It should move forward in steps. Bad: flat while events arrive, a stalled watermark (alert PulseWatermarkStalled): look for a partition or producer sending old timestamps.',
        targets: [[`max by (instance) (pulse_watermark_timestamp_seconds{${I}}) * 1000`, '{{instance}}']],
        unit: 'dateTimeAsIso',
      }),
      row('Kafka consumer group: partitions, lag and hand-overs'),
      panel({
        title: 'Kafka lag by partition and member',
        description:
          'Messages after the last checkpointed offset of each partition, on the member that reads it now (a partition moves to another member in a rebalance; `pulse status` shows the same figure from the brokers). Only with the Kafka source. ' +
          'Bad: one partition rising while the others stay flat: a hot key or a slow member (compare CPU per instance); every partition rising: the group is too small, add a member (README, Scaling out on Kafka).',
        targets: [[`max by (topic, partition, instance) (pulse_source_lag_messages{${I}})`, '{{topic}}/{{partition}} on {{instance}}']],
        unit: 'short',
        min: 0,
      }),
      panel({
        title: 'Partitions per member',
        description:
          "Source partitions each member reads now: its share of the consumer group. The stack's height is the topics' partition count once a rebalance has settled. " +
          'Bad: a member at 0 for long (more members than partitions: it only waits), or the stack below the partition count for more than a session timeout (a member left without its partitions being reassigned yet).',
        targets: [[`sum by (instance) (pulse_partitions_assigned{${I}})`, '{{instance}}']],
        unit: 'short',
        min: 0,
        stack: true,
      }),
      panel({
        title: 'Partitions restoring handed-over state',
        description:
          "Partitions a member was assigned whose previous owner's state (checkpoint.handoff_dir snapshot) is still being imported, and the snapshot rows not imported yet; their records wait until it is done. " +
          'Bad: above 0 for longer than the restore times below: look for the hand-over in the log (partition state taken over) and at disk latency of the hand-over directory.',
        targets: [
          [`sum by (instance) (pulse_partitions_restoring{${I}})`, 'partitions {{instance}}'],
          [`sum by (instance) (pulse_partition_restore_rows_remaining{${I}})`, 'rows left {{instance}}'],
        ],
        unit: 'short',
        min: 0,
      }),
      panel({
        title: 'State restore time p50 / max',
        description:
          'Time from a partition assignment with a newer hand-over snapshot until its state is restored and its records are processed again (includes the checkpoint that makes the store current and the rebuild of the operators). ' +
          'Bad: growing with each rebalance: the member holds more customers than it should; add members or partitions (README, what a rebalance costs).',
        targets: [
          [`histogram_quantile(0.5, sum by (le) (rate(pulse_partition_restore_seconds_bucket{${I}}[1h])))`, 'p50'],
          [`histogram_quantile(1, sum by (le) (rate(pulse_partition_restore_seconds_bucket{${I}}[1h])))`, 'max (bucket bound)'],
        ],
        unit: 's',
        min: 0,
      }),
      panel({
        title: 'State changelog records/s by kind',
        description:
          'Records each member produces to the state changelog topic (checkpoint.changelog) after its checkpoints: changed customer state, open windows, event ids, tombstones (deleted state, closed windows, event ids past the dedup horizon) and one marker per partition a checkpoint. Only with a changelog. ' +
          'Bad: `unrouted` above 0 (state changes left out of the changelog: a restore elsewhere would miss them; report it), or dedup records far above the ingest rate (the event ids are produced once each).',
        targets: [
          [`sum by (kind) (rate(pulse_changelog_records_total{${I}}[${RI}]))`, '{{kind}}'],
          [`sum(rate(pulse_changelog_unrouted_total{${I}}[${RI}]))`, 'unrouted'],
        ],
        unit: 'short',
        min: 0,
      }),
      panel({
        title: 'Merge lag by merge partition and member',
        description:
          'Records in each merge partition (job option merge: population results merged across members) that the member following it has not merged and committed yet: its high watermark minus 1 minus the last offset merged (`pulse status` shows the same per member). A merge partition is followed by the member that reads the source partition of the same number, so it moves with it. Only with merge. ' +
          "Bad: rising for more than a few checkpoint intervals after the sources caught up (the merged KPI rows and rules wait on it): look at that member's checkpoints and CPU; a series that stops while another starts is a partition that moved.",
        targets: [[`max by (partition, instance) (pulse_merge_high_watermark{${I}} - 1 - pulse_merge_offset{${I}})`, 'merge {{partition}} on {{instance}}']],
        unit: 'short',
        min: 0,
      }),
      row('State and checkpoints'),
      panel({
        title: 'Checkpoint duration p50 / p99',
        description:
          'Time to commit one checkpoint (outputs, operator state and source positions in one DuckDB transaction). Reading pauses during a checkpoint, so this time is lost throughput. ' +
          'Bad: p99 above 5 s for 15 minutes (alert PulseCheckpointSlow). Check disk latency of the DuckDB volume and state sizes; a lower checkpoint.max_events gives smaller transactions.',
        targets: [
          [`histogram_quantile(0.5, sum by (le) (rate(pulse_checkpoint_duration_seconds_bucket{${I}}[${RI}])))`, 'p50'],
          [`histogram_quantile(0.99, sum by (le) (rate(pulse_checkpoint_duration_seconds_bucket{${I}}[${RI}])))`, 'p99'],
        ],
        unit: 's',
        min: 0,
        thresholds: { steps: [[5, 'red']] },
      }),
      panel({
        title: 'Checkpoints per minute, by outcome',
        description:
          'Checkpoints committed (ok) and failed per minute. A failed checkpoint stops the job, which resumes from the previous checkpoint on restart (alert PulseCheckpointFailed). ' +
          'Bad: any failed; read the log for the DuckDB error (disk full, file locked by another process, corrupt file: restore from backup).',
        targets: [[`sum by (outcome) (rate(pulse_checkpoints_total{${I}}[${RI}])) * 60`, '{{outcome}}']],
        unit: 'short',
        min: 0,
      }),
      panel({
        title: 'Operator state entries',
        description:
          'Entries held in operator state (open windows, detector and KPI state), by operator and state. Grows with active customers and with allowed_lateness (windows stay open that long after they end). ' +
          'Bad: growing without bound at steady input. Memory follows this curve; shorten allowed_lateness or the window sizes.',
        targets: [[`sum by (operator, state) (pulse_state_entries{${I}})`, '{{operator}} / {{state}}']],
        unit: 'short',
        min: 0,
      }),
      panel({
        title: 'Remembered event ids (dedup)',
        description:
          'Event ids kept to drop duplicates, bounded by the lateness horizon. Proportional to the event rate times (max_out_of_orderness + allowed_lateness). ' +
          'Bad: growing while the event rate is flat means the watermark is not advancing (ids never expire).',
        targets: [[`sum by (instance) (pulse_dedup_ids{${I}})`, '{{instance}}']],
        unit: 'short',
        min: 0,
      }),
      row('Alert delivery'),
      panel({
        title: 'Alert outbox depth',
        description:
          'Notifications waiting in the DuckDB outbox for delivery. Near zero normally; a burst after a replay drains by itself. ' +
          'Bad: above 500 for 15 minutes (alert PulseAlertOutboxBacklog), usually because a receiver is down: see the delivery failures panel. Nothing is lost while rows wait. ' +
          'No data: the job has no alerting section (it stores alerts and delivers none, as the default job).',
        targets: [[`sum by (instance) (pulse_alert_outbox_depth{${I}})`, '{{instance}}']],
        unit: 'short',
        min: 0,
        thresholds: { steps: [[500, 'orange']] },
      }),
      panel({
        title: 'Delivery failures per minute, by receiver type and reason',
        description:
          'Failed send attempts per minute (one per notification, retried with backoff until max_attempts), and alerts given up per minute (dead: one per alert and receiver, as alerts delivered are counted, so a notification of 10 alerts given up adds 10). ' +
          'Bad: sustained failures (alert PulseAlertDeliveryFailing) or any dead delivery (PulseAlertDeliveryDead). Check receiver reachability and the credentials in the pulse-secrets Secret; re-queue dead outbox rows after the fix. ' +
          'No data: no failure yet, or the job has no alerting section.',
        targets: [
          [`sum by (receiver_type, reason) (rate(pulse_alert_delivery_failures_total{${I}}[${RI}])) * 60`, 'failed: {{receiver_type}} / {{reason}}'],
          [`sum by (receiver_type, reason) (rate(pulse_alert_delivery_dead_total{${I}}[${RI}])) * 60`, 'dead alerts: {{receiver_type}} / {{reason}}'],
        ],
        unit: 'short',
        min: 0,
      }),
      row('Process'),
      panel({
        title: 'Resident memory',
        description:
          'Resident set size of each worker, with the bench target (2 GiB peak for 1M customers) and the container limit (3 GiB) as lines. The V8 heap is part of it; DuckDB buffers are the rest. ' +
          'Bad: approaching 3 GiB (alert PulseMemoryHigh above 2.5 GiB): an OOM kill restarts the worker from its last checkpoint. Check state sizes or raise the limit.',
        targets: [
          [`max by (instance) (pulse_process_resident_memory_bytes{${I}})`, 'rss {{instance}}'],
          [`max by (instance) (pulse_nodejs_heap_size_used_bytes{${I}})`, 'heap used {{instance}}'],
        ],
        unit: 'bytes',
        min: 0,
        thresholds: {
          steps: [
            [2 * GIB, 'orange'],
            [3 * GIB, 'red'],
          ],
        },
      }),
      panel({
        title: 'Event loop lag p99',
        description:
          '99th percentile of Node event loop delay. The per-record path is synchronous, so a long batch shows here; health checks, scrapes and alert delivery wait behind it. ' +
          'Bad: above 1 s for 10 minutes (alert PulseEventLoopBlocked). Lower the source batch_size, check CPU throttling.',
        targets: [[`max by (instance) (pulse_nodejs_eventloop_lag_p99_seconds{${I}})`, '{{instance}}']],
        unit: 's',
        min: 0,
        thresholds: { steps: [[1, 'red']] },
      }),
      panel({
        title: 'CPU used (cores)',
        description:
          'CPU seconds per second used by each worker (1 = one full core). The main thread reads and splits the input, worker threads (`workers`) decode, gate and aggregate, and DuckDB commits checkpoints on its own threads. ' +
          'Bad: pinned at 1.5 to 2 cores while lag grows: the worker is CPU-bound; at the container limit: throttled, raise the limit.',
        targets: [[`sum by (instance) (rate(pulse_process_cpu_seconds_total{${I}}[${RI}]))`, '{{instance}}']],
        unit: 'short',
        min: 0,
      }),
      panel({
        title: 'CPU by operator (cores)',
        description:
          'CPU seconds per second spent in each operator, summed over the worker threads and the main thread (pulse_operator_seconds_total): which operator a CPU-bound job spends its time in. ' +
          'Bad: one operator far above the others after a configuration change (a rule or detector set too wide); the rest of the CPU is reading, decoding and checkpoints.',
        targets: [[`sum by (operator) (rate(pulse_operator_seconds_total{${I}}[${RI}]))`, '{{operator}}']],
        unit: 'short',
        min: 0,
      }),
      panel({
        title: 'Worker up',
        description:
          'Whether Prometheus can scrape each worker (1 up, 0 down). Bad: 0 (alert PulseTargetDown): the worker crashed, is restarting or its metrics port is closed; check the container status and logs (exit 2 = bad configuration).',
        targets: [[`up{job="pulse", ${I}}`, '{{instance}}']],
        type: 'stat',
        unit: 'none',
        thresholds: { base: 'red', steps: [[1, 'green']] },
      }),
    ],
  });
}

const QC = 'queue=~"$queue", channel=~"$channel"';

function kpi(metric, title, description, extra) {
  return panel({
    title,
    description,
    targets: [[`avg by (queue, channel) (${metric}{${QC}})`, '{{queue}} / {{channel}}']],
    ...extra,
  });
}

export function contactCenter() {
  return dashboard({
    uid: 'pulse-contact-center',
    title: 'customer-pulse / Contact center',
    description: 'Contact-center KPIs of the latest window per queue and channel (SPEC section 4), with target lines.',
    tags: ['contact-center'],
    variables: [queryVariable('queue', 'Queue', 'pulse_contact_offered'), queryVariable('channel', 'Channel', 'pulse_contact_offered')],
    panels: [
      kpi(
        'pulse_contact_offered',
        'Contacts offered',
        'Contacts queued in the latest window, per queue and channel (self-service contacts excluded). This is the demand curve: read the other KPIs against it. ' +
          'Bad: a sudden drop to zero on a queue usually means a routing or integration fault, not a quiet day; a spike explains abandon and ASA spikes.',
        { unit: 'short', min: 0 },
      ),
      kpi(
        'pulse_contact_abandon_rate',
        'Abandon rate',
        '(abandoned - short abandoned) / (offered - short abandoned): share of callers who gave up waiting, not counting those who hung up within 5 s. Lines: 5% target, 10% bad. ' +
          'Bad: above the line: not enough agents for the demand, or a long IVR. Check ASA and offered on the same queue; staff up or open overflow.',
        {
          unit: 'percentunit',
          min: 0,
          max: 1,
          thresholds: {
            steps: [
              [0.05, 'orange'],
              [0.1, 'red'],
            ],
          },
        },
      ),
      kpi(
        'pulse_contact_service_level',
        'Service level (answered within 20 s)',
        'Handled contacts answered within 20 s / (offered - short abandoned). The 80/20 target is drawn as a line (red below 80%). ' +
          'Bad: below 80%: queue under-staffed for the demand. Compare with offered and AHT: rising AHT at flat demand means the same agents handle fewer contacts.',
        { unit: 'percentunit', min: 0, max: 1, thresholds: { base: 'red', steps: [[0.8, 'green']] } },
      ),
      kpi(
        'pulse_contact_asa_seconds',
        'Average speed of answer',
        'Mean of (answered_at - queued_at) over handled contacts: how long answered customers waited (for chat and email, the response time). Line: 20 s voice target, 60 s bad. ' +
          'Bad: rising: the queue is short of agents; abandon rate usually follows.',
        {
          unit: 's',
          min: 0,
          thresholds: {
            steps: [
              [20, 'orange'],
              [60, 'red'],
            ],
          },
        },
      ),
      kpi(
        'pulse_contact_aht_seconds',
        'Average handle time',
        'Mean of (ended_at - answered_at + after-contact work) over handled contacts. Line: 600 s as a starting reference; set it per queue. ' +
          'Bad: a jump without a change in reasons means a tool or process problem (slow systems, new policy); it cuts capacity and raises ASA.',
        { unit: 's', min: 0, thresholds: { steps: [[600, 'orange']] } },
      ),
      kpi(
        'pulse_contact_fcr_rate',
        'First-contact resolution',
        'Share of handled contacts whose customer does not contact again for the same reason within 7 days. Provisional until 7 days after the contact (fcr_final in the contact_kpis table), so the latest windows settle downward. Line: 70% target. ' +
          'Bad: below the line: repeat contacts; look at the top contact reasons for that queue in the KPI report.',
        { unit: 'percentunit', min: 0, max: 1, thresholds: { base: 'red', steps: [[0.7, 'green']] } },
      ),
      panel({
        title: 'Service level now, by queue',
        description:
          'Current service level per queue (latest window, mean over the selected channels), bar view of the time series above. Bad: red, below 80%: start with the worst queue and compare its offered contacts with staffing.',
        targets: [[`avg by (queue) (pulse_contact_service_level{${QC}})`, '{{queue}}']],
        type: 'bargauge',
        unit: 'percentunit',
        min: 0,
        max: 1,
        thresholds: { base: 'red', steps: [[0.8, 'green']] },
        w: 12,
      }),
      panel({
        title: 'Abandon rate now, by queue',
        description:
          'Current abandon rate per queue (latest window, mean over the selected channels). Bad: orange above 5%, red above 10%: these queues lose the most callers; check their ASA and staffing first.',
        targets: [[`avg by (queue) (pulse_contact_abandon_rate{${QC}})`, '{{queue}}']],
        type: 'bargauge',
        unit: 'percentunit',
        min: 0,
        max: 1,
        thresholds: {
          steps: [
            [0.05, 'orange'],
            [0.1, 'red'],
          ],
        },
        w: 12,
      }),
    ],
  });
}

export function customerSignals() {
  return dashboard({
    uid: 'pulse-customer-signals',
    title: 'customer-pulse / Customer signals',
    description: 'Alerts produced by the pipeline (behaviour shifts, sales and service signals) and the cases opened from them.',
    tags: ['alerts', 'cases'],
    variables: [INSTANCE, queryVariable('team', 'Team', 'pulse_cases_open')],
    panels: [
      panel({
        title: 'Alerts per hour, by kind',
        description:
          'Alerts produced per hour by kind (analytic, sales, service), at checkpoints. A replay of the same events produces the same alert ids, so downstream receives no duplicates. ' +
          'Bad: a sudden jump of one kind after a deploy or a config change is usually a threshold change or a data problem (check the dead-letter ratio), not customers changing overnight.',
        targets: [[`sum by (kind) (rate(pulse_alerts_total{${I}}[${RI}])) * 3600`, '{{kind}}']],
        unit: 'short',
        min: 0,
        stack: true,
      }),
      panel({
        title: 'Alerts per hour, by severity',
        description:
          'Alerts produced per hour by severity (info, warning, critical). Critical alerts page someone. Bad: more critical alerts than the team can work through: tune the thresholds (per rule in the job YAML).',
        targets: [[`sum by (severity) (rate(pulse_alerts_total{${I}}[${RI}])) * 3600`, '{{severity}}']],
        unit: 'short',
        min: 0,
        stack: true,
      }),
      panel({
        title: "Customers' alerts held back by moves, per hour",
        description:
          'Sales alerts (shifts, silences) not sent because the customer is part of a move together: part of the population changing at the same window, told once by a ' +
          'GroupSpendJump / GroupSpendDrop alert; table move_members lists the customers under that alert. Bad: a steady stream with no Group alert behind it in the ' +
          'alerts table, or many held back while the sales team expects individual alerts: review population.together in the job YAML.',
        targets: [[`sum by (rule) (rate(pulse_alerts_held_back_total{${I}}[${RI}])) * 3600`, '{{rule}}']],
        unit: 'short',
        min: 0,
        stack: true,
      }),
      panel({
        title: 'Open cases, by team',
        description:
          'Cases opened from alerts and not yet closed, per team. Bad: growing week over week: the team is not keeping up with the alerts routed to it; review routing or staffing.',
        targets: [[`sum by (team) (pulse_cases_open{team=~"$team"})`, '{{team}}']],
        unit: 'short',
        min: 0,
      }),
      panel({
        title: 'Overdue cases, by team',
        description:
          'Open cases past their due_at, per team. Bad: any sustained number; overdue sales and service cases are churn risk. Escalate to the team lead, check the oldest cases first.',
        targets: [[`sum by (team) (pulse_cases_overdue{team=~"$team"})`, '{{team}}']],
        unit: 'short',
        min: 0,
        thresholds: {
          steps: [
            [1, 'orange'],
            [20, 'red'],
          ],
        },
      }),
      panel({
        title: 'Overdue share of open cases',
        description:
          'Overdue / open cases per team. Lines: 10% attention, 25% bad. Bad: above the lines. A high share with few open cases is a process problem (cases not closed), with many open cases a capacity problem.',
        targets: [[`sum by (team) (pulse_cases_overdue{team=~"$team"}) / sum by (team) (pulse_cases_open{team=~"$team"})`, '{{team}}']],
        unit: 'percentunit',
        min: 0,
        max: 1,
        thresholds: {
          steps: [
            [0.1, 'orange'],
            [0.25, 'red'],
          ],
        },
      }),
      panel({
        title: 'Event-to-alert latency p95, by kind',
        description:
          'How long after the event that fired it an alert is durable and queued for delivery (95th percentile), by kind. It includes the out-of-orderness wait of windowed alerts and the checkpoint interval. ' +
          'Bad: far above max_out_of_orderness + the window + the checkpoint interval on a live stream: the job is behind (see watermark lag). A replay of history shows the age of the data, not a problem.',
        targets: [[`histogram_quantile(0.95, sum by (kind, le) (rate(pulse_alert_latency_seconds_bucket{${I}}[${RI}])))`, '{{kind}}']],
        unit: 's',
        min: 0,
      }),
      panel({
        title: 'Alerts delivered per hour, by receiver type',
        description:
          'Alerts delivered per hour by receiver type (webhook, alertmanager, email, slack, file, kafka). Should follow the alerts produced, after group_wait. ' +
          'Bad: produced but not delivered: see Alert delivery on the Pipeline health dashboard. No data: the job has no alerting section (it delivers nothing).',
        targets: [[`sum by (receiver_type) (rate(pulse_alerts_delivered_total{${I}}[${RI}])) * 3600`, '{{receiver_type}}']],
        unit: 'short',
        min: 0,
      }),
      panel({
        title: 'Alert rule precision (closed loop)',
        description:
          'Judged alerts of each rule that were useful or won (by people, or a lead won by a later transaction), as a share of those judged (README: Outcomes: the loop closed). Line: 50%, the default outcomes.min_precision. ' +
          'Bad: a rule staying below the line over many judged alerts (pulse_rule_flagged_for_tuning = 1): tune its threshold or conditions; the weekly closed-loop report names it.',
        targets: [[`max by (rule) (pulse_rule_precision{${I}})`, '{{rule}}']],
        unit: 'percentunit',
        min: 0,
        max: 1,
        thresholds: { base: 'red', steps: [[0.5, 'green']] },
      }),
      panel({
        title: 'Lead conversion, by intent and team',
        description:
          'Leads won (recorded by people, or inferred from a transaction within leads.win_window) as a share of leads, per intent and team. ' +
          'Bad: falling week over week for one team while leads keep coming: the leads are not being worked (see time to first action) or the intent threshold lets weak leads through.',
        targets: [[`max by (intent, team) (pulse_lead_conversion{${I}})`, '{{intent}} / {{team}}']],
        unit: 'percentunit',
        min: 0,
        max: 1,
      }),
      panel({
        title: 'Median time to first action, by kind',
        description:
          'Median time from an alert, lead or case to the first outcome a person recorded on it (acknowledged, acted on, a verdict). ' +
          'Bad: hours for leads (the brief: pushed to staff within hours) or growing: the teams do not see or do not work what is routed to them.',
        targets: [[`max by (subject_kind) (pulse_time_to_first_action_seconds{${I}})`, '{{subject_kind}}']],
        unit: 's',
        min: 0,
      }),
    ],
  });
}

const DISTANCE_METHODS = 'wasserstein_norm|psi|jensenshannon';

export function drift() {
  return dashboard({
    uid: 'pulse-drift',
    title: 'customer-pulse / Drift and segments',
    description: 'Feature drift scores against their thresholds (SPEC section 7) and segment sizes.',
    tags: ['drift'],
    variables: [queryVariable('feature', 'Feature', 'pulse_drift_score')],
    panels: [
      panel({
        title: 'Drifted features and dataset drift (the verdict)',
        description:
          "1 when a feature drifted at the latest drift run, whatever decided it (a p-value test on small samples; a Jensen-Shannon distance over its threshold counts only where its chi-square test rejects too), and 1 for the dataset when a key feature or at least the share threshold of the features drifted: the product's verdict, the one behind the SegmentationRescoreNeeded alert. " +
          'Bad: dataset drift at 1: open the drift report (pulse report drift) and decide whether to rescore the segmentation models.',
        targets: [
          [`max(pulse_dataset_drift)`, 'dataset drift'],
          [`max by (feature, method) (pulse_drift_drifted{feature=~"$feature"})`, '{{feature}} ({{method}})'],
        ],
        unit: 'short',
        min: 0,
        max: 1,
        thresholds: { steps: [[1, 'red']] },
        w: 24,
      }),
      panel({
        title: 'Drift score by feature (distance methods) with threshold',
        description:
          'Latest drift score per feature for the distance methods (normalised Wasserstein, Jensen-Shannon, PSI), with each threshold as a dashed series; the verdict is the panel above (a Jensen-Shannon distance drifts only where its chi-square test rejects too). ' +
          'Bad: a score above its threshold: the current period differs from the reference. Open the drift report (pulse report drift) to see which values moved; if the change is real and lasting, re-baseline models and segments that use the feature.',
        targets: [
          [`max by (feature, method) (pulse_drift_score{feature=~"$feature", method=~"${DISTANCE_METHODS}"})`, '{{feature}} ({{method}})'],
          [`max by (feature, method) (pulse_drift_threshold{feature=~"$feature", method=~"${DISTANCE_METHODS}"})`, 'threshold {{feature}} ({{method}})'],
        ],
        unit: 'short',
        min: 0,
        w: 24,
      }),
      panel({
        title: 'Score / threshold (>= 1 is drift)',
        description:
          'Score divided by threshold for the distance methods: 1 is the decision boundary, so features on different scales compare on one axis. ' +
          'Bad: at or above 1 (red line). Several features crossing together usually means an upstream change (a new product, a pricing change, a broken producer) rather than customer behaviour.',
        targets: [
          [
            `max by (feature, method) (pulse_drift_score{feature=~"$feature", method=~"${DISTANCE_METHODS}"}) / on (feature, method) max by (feature, method) (pulse_drift_threshold{feature=~"$feature", method=~"${DISTANCE_METHODS}"})`,
            '{{feature}} ({{method}})',
          ],
        ],
        unit: 'short',
        min: 0,
        thresholds: { steps: [[1, 'red']] },
      }),
      panel({
        title: 'Test statistics of small-sample features (KS, chi-square)',
        description:
          'For features with 1,000 values or fewer the decision is a p-value test (KS for numeric, chi-square for categorical); the score shown is the test statistic, and the threshold is a p-value, so no line is drawn. ' +
          'The drifted decision and the p-value are in the drift_metrics table and the drift report; use this panel for the trend only. Bad: a statistic climbing run after run: check the p-value in the drift report before acting.',
        targets: [[`max by (feature, method) (pulse_drift_score{feature=~"$feature", method=~"ks|chisquare"})`, '{{feature}} ({{method}})']],
        unit: 'short',
        min: 0,
      }),
      panel({
        title: 'Customers per segment (tier)',
        description:
          'Customers in each segment (tier) at the latest scoring. Bad: a large shift between tiers in one run is the same signal as segment drift: check the drift report and whether the segmentation needs to be re-scored.',
        targets: [[`sum by (tier) (pulse_segment_customers)`, '{{tier}}']],
        unit: 'short',
        min: 0,
        stack: true,
      }),
      panel({
        title: 'Segment share',
        description:
          'Share of customers per segment (tier), so growth of the customer base does not hide a mix change. Bad: a tier share moving by several points between runs without a business reason.',
        targets: [[`sum by (tier) (pulse_segment_customers) / scalar(clamp_min(sum(pulse_segment_customers), 1))`, '{{tier}}']],
        unit: 'percentunit',
        min: 0,
        max: 1,
        stack: true,
      }),
    ],
  });
}

export function buildDashboards() {
  return {
    'pulse-pipeline-health.json': pipelineHealth(),
    'pulse-contact-center.json': contactCenter(),
    'pulse-customer-signals.json': customerSignals(),
    'pulse-drift.json': drift(),
  };
}

export function render(dashboardObject) {
  return `${JSON.stringify(dashboardObject, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = join(dirname(fileURLToPath(import.meta.url)), 'dashboards');
  for (const [name, value] of Object.entries(buildDashboards())) writeFileSync(join(out, name), render(value));
  process.stdout.write(`wrote ${Object.keys(buildDashboards()).length} dashboards to ${out}\n`);
}
