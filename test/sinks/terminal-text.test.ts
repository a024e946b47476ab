import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatCaseDetail, formatCaseList, type CaseRecord } from '../../sinks/cases/index.js';
import { renderTable, shellWord, terminalSafe } from '../../sinks/terminal-text.js';

const ESC = '\u001b';
const hostileId = `C1${ESC}[2J${ESC}[31mRED${ESC}]0;owned\u0007\u202eevil`;

describe('text printed to a terminal', () => {
  it('shows control, escape and bidi-override characters as visible escapes', () => {
    expect(terminalSafe(hostileId)).toBe('C1\\u001b[2J\\u001b[31mRED\\u001b]0;owned\\u0007\\u202eevil');
    expect(terminalSafe('line 1\nline 2\tx\r')).toBe('line 1\\nline 2\\tx\\r');
    expect(terminalSafe('\u009b31m C1 CSI, DEL \u007f')).toBe('\\u009b31m C1 CSI, DEL \\u007f');
    expect(terminalSafe('Zoë, 東京, emoji 🙂, ordinary – text')).toBe('Zoë, 東京, emoji 🙂, ordinary – text');
  });

  it('tables are aligned on the escaped text (54 characters wide here)', () => {
    expect(
      renderTable(
        ['ID', 'NOTE'],
        [
          [hostileId, 'a\nb'],
          ['C2', 'ok'],
        ],
      ),
    ).toBe(
      [
        `ID${' '.repeat(52)}  NOTE`,
        `${'-'.repeat(54)}  ----`,
        'C1\\u001b[2J\\u001b[31mRED\\u001b]0;owned\\u0007\\u202eevil  a\\nb',
        `C2${' '.repeat(52)}  ok`,
        '',
      ].join('\n'),
    );
  });

  it('columns are as wide as a terminal shows their text: an East Asian wide character takes two columns, a combining mark none', () => {
    const text = renderTable(
      ['CUSTOMER', 'TEAM'],
      [
        ['顧客-東京', 'care'],
        ['Zoe\u0308', 'care'],
        ['C-1', 'care'],
      ],
    );
    // 顧客-東京 is 9 columns wide (four wide characters and a hyphen): every TEAM cell starts at column 11.
    expect(text.split('\n').slice(2, 5)).toEqual(['顧客-東京  care', `Zoe\u0308${' '.repeat(6)}  care`, `C-1${' '.repeat(6)}  care`]);
    // Numbers right-aligned, no underline.
    expect(
      renderTable(
        ['N', 'WHO'],
        [
          ['7', 'a'],
          ['1234', 'b'],
        ],
        { numeric: [true, false] },
      ),
    ).toBe('   N  WHO\n   7  a\n1234  b\n');
  });

  it('pulse cases list and show print no raw control character from a customer id, team or note', () => {
    const record: CaseRecord = {
      case_id: 'case-1',
      alert_id: null,
      customer_id: hostileId,
      category: 'complaint',
      severity: 'high',
      status: 'open',
      team: `care${ESC}[8m`,
      opened_at: Date.parse('2026-03-01T00:00:00Z'),
      due_at: Date.parse('2026-03-03T00:00:00Z'),
      closed_at: null,
      assignee: null,
    };
    const list = formatCaseList([record], Date.parse('2026-03-02T00:00:00Z'));
    const detail = formatCaseDetail({
      case: record,
      events: [
        {
          seq: 1,
          case_id: 'case-1',
          at: record.opened_at,
          actor: `ana${ESC}[1A`,
          action: 'note',
          from_status: 'open',
          to_status: 'open',
          from_team: null,
          to_team: null,
          assignee: null,
          note: `called\r${ESC}[2Kall fine`,
        },
      ],
      alert: { rule: 'IrateCustomer', severity: 'warning', summary: `summary ${ESC}[5m`, description: null },
    } as Parameters<typeof formatCaseDetail>[0]);
    for (const text of [list, detail]) {
      // eslint-disable-next-line no-control-regex -- no control character may survive
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
      expect(text).toContain('C1\\u001b[2J');
    }
    expect(detail).toContain('called\\r\\u001b[2Kall fine');
  });

  it('quotes a path for a shell only when it has to, and the shell reads back the same word', () => {
    expect(shellWord('demo-output/pulse.duckdb')).toBe('demo-output/pulse.duckdb');
    const words = ['demo output/pulse.duckdb', "it's here/p.duckdb", 'a;rm -rf x', '$HOME/`id`/"q"', 'tab\there', '*', ''];
    for (const word of words) {
      // The shell is the oracle: one argument, exactly the word.
      const echoed = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellWord(word)}`]).toString();
      expect(echoed).toBe(`${word}\0`);
    }
  });
});
