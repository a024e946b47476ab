import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTaxonomyYaml } from '../../operators/reason-taxonomy.js';
import { query } from '../helpers/duckdb.js';
import { pulseIn } from '../helpers/stdin-job.js';

const V1 = `reasons:
  - { code: billing_dispute, label: Billing dispute, category: billing, channel_codes: { voice: [BILL01] } }
  - { code: cancel, label: Cancellation, category: retention }
`;
const V2 = `reasons:
  - { code: billing_dispute, label: Billing problem, category: billing, channel_codes: { voice: [BILL01] } }
  - { code: cancel, label: Cancellation, category: retention, status: retired, merged_into: billing_dispute }
`;

let dir = '';
let db = '';

describe('pulse reasons', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-reasons-'));
    db = join(dir, 'job.duckdb');
    (await DuckDBInstance.create(db)).closeSync();
    writeFileSync(join(dir, 'v1.yaml'), V1);
    writeFileSync(join(dir, 'v2.yaml'), V2);
    writeFileSync(join(dir, 'bad.yaml'), 'reasons:\n  - { code: a, label: A, category: x, status: retired, merged_into: zz }\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports versions, exports any of them as YAML that reads back the same, lists them', async () => {
    const first = pulseIn(dir, '', 'reasons', 'import', '--file', 'v1.yaml', '--db', db, '--actor', 'ana');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe('saved reason list version 1 (2 reasons)\n');
    const second = pulseIn(dir, '', 'reasons', 'import', '--file', 'v2.yaml', '--db', db, '--actor', 'ana', '--comment', 'merge cancel');
    expect(second.stdout).toBe('saved reason list version 2 (2 reasons)\n');

    const active = pulseIn(dir, '', 'reasons', 'export', '--db', db);
    expect(parseTaxonomyYaml(active.stdout, 'export')).toEqual(parseTaxonomyYaml(V2, 'v2'));
    const old = pulseIn(dir, '', 'reasons', 'export', '--db', db, '--version', '1');
    expect(parseTaxonomyYaml(old.stdout, 'export')).toEqual(parseTaxonomyYaml(V1, 'v1'));
    expect(pulseIn(dir, '', 'reasons', 'versions', '--db', db).stdout).toMatch(/^2\t\S+\tana\tmerge cancel\n1\t\S+\tana\timported\n$/);
    const [rows] = await query(
      db,
      `SELECT version, json_extract_string(taxonomy, '$.reasons[1].merged_into') AS merged FROM reason_taxonomy_versions ORDER BY version`,
    );
    expect(rows).toEqual([
      { version: 1, merged: null },
      { version: 2, merged: 'billing_dispute' },
    ]);
  }, 120_000);

  it('refuses a list that does not hold together, and saves nothing', async () => {
    const bad = pulseIn(dir, '', 'reasons', 'import', '--file', 'bad.yaml', '--db', db);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("bad.yaml: reason 'a' is merged into 'zz', which is not in the list");
    const missing = pulseIn(dir, '', 'reasons', 'export', '--db', db, '--version', '9');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('there is no version 9');
    const [rows] = await query(db, 'SELECT count(*)::INTEGER AS n FROM reason_taxonomy_versions');
    expect(rows).toEqual([{ n: 2 }]);
  }, 120_000);
});
