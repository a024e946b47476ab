import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { compileConfig } from '../../operators/config/schema.js';
import { buildSilences, routingError, SILENCE_SCHEMA, type Silence, type SilenceConfig } from './routing/index.js';

const checkSilence = compileConfig(SILENCE_SCHEMA, routingError);

/**
 * Silences added at run time (through the HTTP API or a CLI), kept in `pulse_silences` so they
 * survive restarts. Config silences stay in the job YAML; the worker checks both.
 */

/** Validates and stores a silence; returns its id (stable for the same content). */
export async function addSilence(conn: DuckDBConnection, silence: SilenceConfig): Promise<string> {
  // The YAML's schema, so API input gets the same checks and messages.
  checkSilence(silence, 'silences[0]');
  buildSilences([silence], 'silences'); // parses matchers and times; throws with the path
  const id = createHash('sha256').update(JSON.stringify(silence)).digest('hex').slice(0, 16);
  await conn.run(
    `INSERT INTO pulse_silences (silence_id, matchers, starts_at, ends_at, created_by, comment)
     VALUES ($1, $2::JSON, $3::TIMESTAMPTZ, $4::TIMESTAMPTZ, $5, $6) ON CONFLICT DO NOTHING`,
    [id, JSON.stringify(silence.matchers), silence.starts_at ?? null, silence.ends_at, silence.created_by, silence.comment],
  );
  return id;
}

/** Expires a silence now (Alertmanager's "expire"): it stops muting at `now`. */
export async function expireSilence(conn: DuckDBConnection, id: string, now: number): Promise<void> {
  await conn.run(`UPDATE pulse_silences SET ends_at = make_timestamptz($2::BIGINT * 1000) WHERE silence_id = $1`, [id, now]);
}

/**
 * Silences stored in the database that have not ended at `now`. A stored silence that no longer
 * parses mutes nothing and is handed to `onUnreadable` (with the reason, naming its id) instead of
 * failing every delivery pass: silences stored before matchers became RE2 were checked by
 * JavaScript's regex engine, which accepts a few patterns RE2 refuses (look-arounds, `\u00e9`).
 */
export async function loadSilences(conn: DuckDBConnection, now: number, onUnreadable?: (silenceId: string, error: unknown) => void): Promise<Silence[]> {
  const reader = await conn.runAndReadAll(
    `SELECT silence_id, matchers, strftime(starts_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS starts_at,
            strftime(ends_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS ends_at, created_by, comment
     FROM pulse_silences WHERE ends_at > make_timestamptz($1::BIGINT * 1000)`,
    [now],
  );
  const rows = reader.getRowObjectsJS() as Array<Record<string, string | null>>;
  return rows.flatMap((r) => {
    const config: SilenceConfig = {
      matchers: JSON.parse(r.matchers as string) as string[],
      ...(r.starts_at ? { starts_at: r.starts_at } : {}),
      ends_at: r.ends_at as string,
      created_by: r.created_by as string,
      comment: r.comment as string,
    };
    try {
      return buildSilences([config], 'pulse_silences');
    } catch (error) {
      onUnreadable?.(r.silence_id as string, error);
      return [];
    }
  });
}
