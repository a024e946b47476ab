import { describe, expect, it } from 'vitest';
import { categoricalFromCounts, sketchOf } from '../../../operators/drift-statistics/index.js';
import { categoricalChange, numericChange } from '../../../operators/population-drift/feature-change.js';

describe('what moved in a drifted feature (hand-computed)', () => {
  it('a categorical feature: the category whose share moved most, in points', () => {
    // billing 50% -> 20%, tech 30% -> 70%, other 20% -> 10%: tech moved most (+40 points).
    const change = categoricalChange(
      'contact_reason',
      categoricalFromCounts({ billing: 50, tech: 30, other: 20 }),
      categoricalFromCounts({ billing: 20, tech: 70, other: 10 }),
    );
    expect(change).toEqual({ of: 'tech', baseline: 0.3, current: 0.7, text: 'contact_reason: tech 30.0% of the reference, 70.0% now (+40.0 points)' });
  });

  it('a numeric feature: its mean before and now; nothing when a side is empty', () => {
    const change = numericChange('spend', sketchOf([10, 20, 30]), sketchOf([30, 30]));
    expect(change).toEqual({ of: 'mean', baseline: 20, current: 30, text: 'spend: mean 20.00 in the reference, 30.00 now (+50.0%)' });
    expect(numericChange('spend', sketchOf([]), sketchOf([1]))).toBeNull();
  });
});
