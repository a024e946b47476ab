import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Duration, StringEnum, Type } from '../../operators/config/schema.js';
import { markdownTable, optionRows, replaceBetweenMarkers } from '../../operators/config/option-table.js';
import { optionTables, withOptionTables } from '../../pipelines/option-docs.js';

describe('README option tables', () => {
  it.each([...optionTables()])('%s holds exactly what `npm run docs:options` writes (run it after changing a schema)', (path, tables) => {
    const text = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
    expect(withOptionTables(text, tables)).toBe(text);
  });

  it('a row per key: what it accepts, its default (or required / unset) and its description', () => {
    const schema = Type.Object(
      {
        every: Duration({ default: '1h30m', description: 'how often | not a column' }),
        mode: StringEnum(['a', 'b'] as const),
        limits: Type.Object({ max: Type.Integer({ minimum: 1, maximum: 9, default: 3 }) }, { default: {} }),
        rules: Type.Optional(Type.Array(Type.Object({ name: Type.String(), weight: Type.Optional(Type.Number({ exclusiveMinimum: 0 })) }))),
      },
      { additionalProperties: false },
    );
    expect(markdownTable(optionRows(schema))).toBe(
      [
        '| key | accepts | default | meaning |',
        '|---|---|---|---|',
        '| `every` | duration | `1h30m` | how often \\| not a column |',
        '| `mode` | `a` \\| `b` | required |  |',
        '| `limits.max` | integer >= 1, <= 9 | `3` |  |',
        '| `rules` | list of mappings | unset |  |',
        '| `rules[].name` | text | required |  |',
        '| `rules[].weight` | number > 0 | unset |  |',
      ].join('\n'),
    );
  });

  it('replaces only what stands between the markers, and says which markers are missing', () => {
    const text = 'before\n<!-- options:x -->\nold\n<!-- /options:x -->\nafter\n';
    expect(replaceBetweenMarkers(text, 'x', 'new')).toBe('before\n<!-- options:x -->\nnew\n<!-- /options:x -->\nafter\n');
    expect(() => replaceBetweenMarkers(text, 'y', 'new')).toThrow('README.md has no <!-- options:y --> ... <!-- /options:y --> markers');
  });
});
