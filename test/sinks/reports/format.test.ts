import { describe, expect, it } from 'vitest';
import { formatInstant } from '../../../sinks/reports/format.js';

describe('report number and time formats', () => {
  it('shows an instant to the second, whatever its milliseconds (one format beside window bounds and generation times)', () => {
    expect(formatInstant(Date.parse('2026-12-07T02:12:39.343Z'))).toBe('2026-12-07T02:12:39Z');
    expect(formatInstant(Date.parse('2026-03-01T00:00:00Z'))).toBe('2026-03-01T00:00:00Z');
  });
});
