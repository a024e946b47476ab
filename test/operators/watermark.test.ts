import { describe, expect, it } from 'vitest';
import { WatermarkTracker } from '../../operators/watermark.js';

describe('WatermarkTracker', () => {
  const options = { outOfOrdernessMs: 10, idleTimeoutMs: 1000 };

  it('is the minimum over active partitions, minus the out-of-orderness, and never goes back', () => {
    const w = new WatermarkTracker(options);
    w.observe('a', 100, 0);
    w.observe('b', 50, 0);
    expect(w.advance(0)).toBe(40);
    w.observe('b', 200, 1);
    expect(w.advance(1)).toBe(90);
    w.observe('a', 20, 2); // an older event does not move it back
    expect(w.advance(2)).toBe(90);
  });

  it('ignores ended partitions and skips idle ones, but does not run ahead when all are idle', () => {
    const w = new WatermarkTracker(options);
    w.observe('busy', 500, 0);
    w.observe('quiet', 100, 0);
    expect(w.advance(0)).toBe(90);
    w.observe('busy', 550, 900);
    w.observe('busy', 600, 1500);
    expect(w.advance(1500)).toBe(590); // 'quiet' idle for 1500 ms > 1000 ms
    w.end('busy');
    expect(w.advance(5000)).toBe(590); // only idle 'quiet' left: hold
    w.observe('quiet', 900, 5001);
    expect(w.advance(5001)).toBe(890);
  });

  it('after the whole source was quiet, the first partition to deliver does not move the watermark alone (the others may have a backlog)', () => {
    const w = new WatermarkTracker(options);
    w.observe('p0', 100, 0);
    w.observe('p1', 100, 0);
    expect(w.advance(0)).toBe(90);
    // 40 s of silence, then a backlog on both: p0 is read first, far ahead.
    w.observeBatch('p0', Float64Array.of(110, 5000), 40_000);
    expect(w.advance(40_000)).toBe(90); // held by p1, woken with p0
    w.observeBatch('p1', Float64Array.of(105, 4800), 40_001);
    expect(w.advance(40_001)).toBe(4790);
    // A partition that has nothing after all stops holding it one idle timeout later.
    w.observeBatch('p0', Float64Array.of(6000), 40_600);
    expect(w.advance(40_600)).toBe(4790);
    w.observeBatch('p0', Float64Array.of(7000), 41_100); // p1 silent for 1,099 ms
    expect(w.advance(41_100)).toBe(6990);
  });

  it('holds a partition not read yet at where its next batch starts; one read before at its own progress; the hint moves no clock', () => {
    const w = new WatermarkTracker(options);
    w.observe('today', Number.NEGATIVE_INFINITY, 0);
    w.observe('tomorrow', Number.NEGATIVE_INFINITY, 0);
    w.expect('tomorrow', 1000, 0);
    w.observeBatch('today', Float64Array.of(100, 400), 0);
    expect(w.advance(0)).toBe(390); // not held at -Infinity by the file not read yet
    w.expect('today', 2000, 0); // today's next batch: today still holds at its own 400
    expect(w.advance(0)).toBe(390);
    w.end('today');
    expect(w.advance(0)).toBe(990);
    w.observeBatch('tomorrow', Float64Array.of(995), 0);
    expect(w.maxEventTimeOf('tomorrow')).toBe(995);
  });

  it('restores a partition not read yet through JSON (where -Infinity is null) as not read: it does not hold the watermark at zero', () => {
    const w = new WatermarkTracker(options);
    w.observe('read', 1000, 0);
    w.observe('waiting', Number.NEGATIVE_INFINITY, 0);
    w.expect('waiting', 5000, 0);
    expect(w.advance(0)).toBe(990);
    const restored = new WatermarkTracker(options);
    restored.restore(JSON.parse(JSON.stringify(w.snapshot())) as ReturnType<WatermarkTracker['snapshot']>, 0);
    restored.expect('waiting', 5000, 0);
    restored.observe('read', 2000, 0);
    expect(restored.advance(0)).toBe(1990); // was stuck at 990: the waiting partition counted as at time 0
  });

  it('snapshots and restores the same watermark, keeping the last event-time one after finish', () => {
    const w = new WatermarkTracker(options);
    w.observe('a', 1000, 0);
    w.advance(0);
    w.finish();
    expect(w.current).toBe(Infinity);
    const restored = new WatermarkTracker(options);
    restored.restore(w.snapshot(), 0);
    expect(restored.current).toBe(990);
  });
});

describe('WatermarkTracker: one record cannot drag a partition (issue 18 item 1)', () => {
  const DAY = 86_400_000;
  const options = { outOfOrdernessMs: 10, idleTimeoutMs: 10 * DAY, maxJumpMs: DAY };
  const batch = (...times: number[]) => Float64Array.from(times);

  it('is the newest time of a stream whose events are less than max_jump apart, however far a batch reaches', () => {
    const w = new WatermarkTracker(options);
    // A batch spanning three days in steps of half a day: every time is within reach of the one before.
    w.observeBatch('p', batch(3 * DAY, 0, DAY / 2, DAY, 1.5 * DAY, 2 * DAY, 2.5 * DAY), 0);
    expect(w.advance(0)).toBe(3 * DAY - 10);
  });

  it('keeps a lone far-ahead time waiting; the end of a silence is confirmed by the records after it', () => {
    const w = new WatermarkTracker(options);
    w.observeBatch('p', batch(1000), 0);
    // One record five months ahead among on-time ones: the watermark follows the on-time ones.
    w.observeBatch('p', batch(2000, 1000 + 150 * DAY, 1500), 0);
    expect(w.advance(0)).toBe(1990);
    w.observeBatch('p', batch(3000), 0);
    expect(w.advance(0)).toBe(2990);
    // The end of a three-day silence: alone it waits, the next record confirms it.
    w.observeBatch('p', batch(3000 + 3 * DAY), 0);
    expect(w.advance(0)).toBe(2990);
    w.observeBatch('p', batch(3000 + 3 * DAY + 60_000), 0);
    expect(w.advance(0)).toBe(3000 + 3 * DAY + 60_000 - 10);
    // The outlier is still waiting, and does not count.
    expect(w.snapshot().partitions['p']!.pending).toEqual([1000 + 150 * DAY]);
  });

  it('judges a first batch from its earliest time', () => {
    const w = new WatermarkTracker(options);
    w.observeBatch('p', batch(500 * DAY, 1000, 2000), 0);
    expect(w.advance(0)).toBe(1990);
  });

  it('gives the same clock however a batch is split and ordered', () => {
    const times = [5, 7 * DAY, 3, DAY / 3, (2 * DAY) / 3, 90 * DAY, DAY];
    const whole = new WatermarkTracker(options);
    whole.observeBatch('p', batch(...times), 0);
    const reversed = new WatermarkTracker(options);
    reversed.observeBatch('p', batch(...[...times].reverse()), 0);
    expect(reversed.snapshot()).toEqual(whole.snapshot());
    expect(whole.advance(0)).toBe(DAY - 10);
  });

  it('keeps waiting times across a restart', () => {
    const w = new WatermarkTracker(options);
    w.observeBatch('p', batch(1000, 1000 + 9 * DAY), 0);
    const restored = new WatermarkTracker(options);
    restored.restore(JSON.parse(JSON.stringify(w.snapshot())), 0);
    restored.observeBatch('p', batch(1000 + 9 * DAY + 5), 0);
    expect(restored.advance(0)).toBe(1000 + 9 * DAY + 5 - 10);
  });
});
