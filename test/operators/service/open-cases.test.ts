import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { OpenCaseIndex } from '../../../operators/service/open-cases.js';
import type { WatchedCase } from '../../../operators/service/types.js';
import { KeyedState } from '../../../operators/state.js';
import { HOUR, T0, contact, drain, operatorFromYaml, persist, restore } from './helpers.js';

function watched(id: number, customer: string, category: string, dueAt: number): WatchedCase {
  return {
    case_id: `case-${id}`,
    alert_id: `alert-${id}`,
    rule: 'r',
    customer_id: customer,
    category,
    severity: 'normal',
    team: 't',
    tier: 'Bronze',
    account_owner: null,
    opened_at: id,
    due_at: dueAt,
    phase: 'open',
  };
}

/** The oracle: the scan the index replaces (the first open case in the state's insertion order still within its deadline at `at`). */
function scan(cases: KeyedState<WatchedCase>, customer: string, category: string, at: number): WatchedCase | undefined {
  for (const [, c] of cases.entries()) if (c.customer_id === customer && c.category === category && c.phase === 'open' && c.due_at >= at) return c;
  return undefined;
}

type Step = { op: 'open' | 'due' | 'settle' | 'checkpoint' | 'restore'; customer: string; category: string; pick: number };

describe('OpenCaseIndex', () => {
  test('finds and hands over as due what a scan of the state finds, through openings, deadlines, settlements and restarts', () => {
    const step = fc.record({
      op: fc.constantFrom('open', 'open', 'due', 'settle', 'checkpoint', 'restore'),
      customer: fc.constantFrom('a', 'b', 'c'),
      category: fc.constantFrom('x', 'y'),
      pick: fc.nat(),
    }) as fc.Arbitrary<Step>;
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const cases = new KeyedState<WatchedCase>();
        const index = new OpenCaseIndex(cases);
        let next = 0;
        let checkpointed: Array<[string, WatchedCase]> = [];
        for (const s of steps) {
          const all = [...cases.entries()].map(([, c]) => c);
          if (s.op === 'open') {
            // As while one_open_per_category was off: several open cases of one customer and category.
            const c = watched(next++, s.customer, s.category, s.pick % 40);
            cases.set(c.case_id, c);
            index.opened(c);
          } else if (s.op === 'due') {
            // The watermark passes `time`: the open cases due before it, as a scan finds them.
            const time = s.pick % 40;
            const expected = all.filter((c) => c.phase === 'open' && c.due_at < time).map((c) => c.case_id);
            const taken = index.takeDue(time);
            expect(taken.map((c) => c.case_id).sort()).toEqual(expected.sort());
            for (const c of taken) c.phase = 'due';
          } else if (s.op === 'settle') {
            const due = all.filter((c) => c.phase === 'due');
            if (due.length > 0) cases.delete(due[s.pick % due.length]!.case_id);
          } else if (s.op === 'checkpoint') {
            checkpointed = all.map((c) => [c.case_id, { ...c }]);
          } else if (s.op === 'restore') {
            // A restart: the state as of the last checkpoint comes back (as copies, in the stored order).
            cases.restore(checkpointed.map(([id, c]) => [id, { ...c }]));
          }
          for (const customer of ['a', 'b', 'c']) {
            for (const category of ['x', 'y']) {
              for (const at of [0, 20, 39]) expect(index.find(customer, category, at)).toBe(scan(cases, customer, category, at));
            }
          }
        }
      }),
    );
  });
});

describe('OpenCaseIndex deadlines', () => {
  test('a case is due once the time is past its deadline, not at it, and is handed over once', () => {
    const cases = new KeyedState<WatchedCase>();
    const index = new OpenCaseIndex(cases);
    const early = watched(1, 'a', 'x', 10);
    const late = watched(2, 'b', 'x', 20);
    for (const c of [late, early]) {
      cases.set(c.case_id, c);
      index.opened(c);
    }
    index.find('a', 'x', 0); // built now: what follows goes through `opened` and the deadlines
    const third = watched(3, 'c', 'y', 10);
    cases.set(third.case_id, third);
    index.opened(third);
    expect(index.takeDue(10)).toEqual([]);
    const due = index.takeDue(11);
    expect(due.map((c) => c.case_id).sort()).toEqual(['case-1', 'case-3']);
    for (const c of due) c.phase = 'due';
    expect(index.takeDue(11)).toEqual([]);
    expect(index.find('a', 'x', 0)).toBeUndefined();
    expect(index.takeDue(21).map((c) => c.case_id)).toEqual(['case-2']);
  });
});

describe('one open case per category, through the operator', () => {
  const YAML = `
team: care
interaction_rules:
  - name: angry
    trigger: negative_text
    cooldown: 0
    case: { category: complaint, due_in: 2h }
`;

  test('a firing after the case passed its deadline opens a new case; one before it reuses the open one, also after a restart', () => {
    const op = operatorFromYaml(YAML);
    op.process(contact('c', T0, { text: 'terrible, awful' }));
    const first = drain(op).cases;
    expect(first).toHaveLength(1);
    op.process(contact('c', T0 + HOUR, { text: 'still terrible' }));
    expect(drain(op).cases).toHaveLength(0); // reused

    const store = new Map<string, Map<string, unknown>>();
    persist(op, store);
    const restarted = operatorFromYaml(YAML);
    restore(restarted, store);
    restarted.process(contact('c', T0 + HOUR + 1, { text: 'awful again' }));
    const { alerts, cases } = drain(restarted);
    expect(cases).toHaveLength(0);
    expect(alerts[0]!.labels['case_id']).toBe(first[0]!['case_id']);

    restarted.onWatermark(T0 + 3 * HOUR); // past due_at: the case waits for its status check
    restarted.process(contact('c', T0 + 3 * HOUR + 1, { text: 'terrible still' }));
    const later = drain(restarted);
    expect(later.cases).toHaveLength(1);
    expect(later.cases[0]!['case_id']).not.toBe(first[0]!['case_id']);
    expect(later.alerts.find((a) => a.rule === 'angry')!.labels['case_id']).toBe(later.cases[0]!['case_id']);
  });

  test("past the deadline by the firing's own time, a new case opens, whether or not the watermark has marked the old one due (one batch)", () => {
    const op = operatorFromYaml(YAML);
    op.process(contact('c', T0, { text: 'terrible, awful' }));
    // No watermark between them, as inside one batch: the old case is due at T0 + 2h all the same.
    op.process(contact('c', T0 + 2 * HOUR, { text: 'still terrible' }));
    op.process(contact('c', T0 + 2 * HOUR + 1, { text: 'awful again' }));
    const { alerts, cases } = drain(op);
    expect(cases).toHaveLength(2);
    expect(alerts.filter((a) => a.rule === 'angry').map((a) => a.labels['case_id'])).toEqual([
      cases[0]!['case_id'],
      cases[0]!['case_id'],
      cases[1]!['case_id'],
    ]);
  });
});
