/**
 * Functions the templates call to format values. The templates escape what they print
 * (`<%= %>`); these only format, and `enc` makes a value safe inside a URL path or query.
 */
import { CASE_STATUSES, TERMINAL_CASE_STATUSES } from '../operators/service/case-status.js';

function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function money(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toFixed(2);
}

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`;
}

function seconds(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${value.toFixed(0)} s`;
}

const URGENCY_LABELS: Record<string, string> = { overdue: 'OVERDUE', due_soon: 'due soon', later: '', done: '' };

export const viewHelpers = {
  time,
  money,
  percent,
  seconds,
  enc: encodeURIComponent,
  urgencyLabel: (urgency: string): string => URGENCY_LABELS[urgency] ?? '',
  statuses: CASE_STATUSES,
  /** Statuses a member may set (closing is for managers). */
  openStatuses: CASE_STATUSES.filter((s) => !TERMINAL_CASE_STATUSES.has(s)),
};
