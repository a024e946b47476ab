import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INTEGRATION_SUITES } from '../vitest.config.js';

describe('the integration suite list', () => {
  it('names files that exist (a renamed suite would otherwise leave the list silently)', () => {
    expect(INTEGRATION_SUITES.filter((path) => !existsSync(path))).toEqual([]);
    expect(INTEGRATION_SUITES.every((path) => path.startsWith('test/') && path.endsWith('.test.ts'))).toBe(true);
  });
});
