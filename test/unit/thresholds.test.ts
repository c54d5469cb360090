import { describe, expect, it } from 'vitest';
import { describeBreach, evaluateThreshold, formatReading } from '../../src/core/thresholds.js';
import type { Status } from '../../src/core/types.js';

describe('evaluateThreshold', () => {
  const limits = { warn: 0.8, fail: 0.95 };
  it.each<[unknown, Status]>([
    [0.5, 'pass'],
    [0.79999, 'pass'],
    [0.8, 'warn'],
    [0.9, 'warn'],
    [0.95, 'fail'],
    [1.2, 'fail'],
    [Number.NaN, 'pass'],
    [null, 'pass'],
    ['0.99', 'pass'],
    [true, 'pass'],
    [Number.POSITIVE_INFINITY, 'pass'],
  ])('higher is worse: %s → %s', (value, expected) => {
    expect(evaluateThreshold('u', value, limits).status).toBe(expected);
  });

  it.each<[number, Status]>([
    [30, 'pass'],
    [14.5, 'pass'],
    [14, 'warn'],
    [5, 'warn'],
    [3, 'fail'],
    [-1, 'fail'],
  ])('lower is worse (daysUntilExpiry 14/3): %s → %s', (value, expected) => {
    expect(evaluateThreshold('daysUntilExpiry', value, { warn: 14, fail: 3 }, { worse: 'lower', unit: 'days' }).status).toBe(expected);
  });

  it('judges only the limits that are set', () => {
    expect(evaluateThreshold('x', 100, {}).status).toBe('pass');
    expect(evaluateThreshold('x', 100, { fail: 50 }).status).toBe('fail');
    expect(evaluateThreshold('x', 100, { warn: 50 }).status).toBe('warn');
  });

  it('reports the worst breach', () => {
    expect(evaluateThreshold('connectionsUtilization', 0.97, limits).breach).toEqual({
      measurement: 'connectionsUtilization',
      level: 'fail',
      value: 0.97,
      limit: 0.95,
      worse: 'higher',
    });
  });
});

describe('describeBreach', () => {
  it('names the measurement, value, level and limit', () => {
    const verdict = evaluateThreshold('connectionsUtilization', 0.97, { warn: 0.8, fail: 0.95 });
    expect(describeBreach(verdict.breach!)).toBe('connectionsUtilization 0.97 ≥ fail 0.95');
  });
  it('uses ≤ and units when lower is worse', () => {
    const verdict = evaluateThreshold('daysUntilExpiry', 2, { warn: 14, fail: 3 }, { worse: 'lower', unit: 'days' });
    expect(describeBreach(verdict.breach!)).toBe('daysUntilExpiry 2d ≤ fail 3d');
  });
  it('formats milliseconds', () => {
    const verdict = evaluateThreshold('delayP99', 312.4567, { warn: 200, fail: 1000 }, { unit: 'ms' });
    expect(describeBreach(verdict.breach!)).toBe('delayP99 312ms ≥ warn 200ms');
  });
});

describe('formatReading', () => {
  it.each<[number, string]>([
    [0.971234, '0.971'],
    [2, '2'],
    [12.34567, '12.346'],
    [1234.5, '1235'],
    [0, '0'],
  ])('%s → %s', (value, expected) => {
    expect(formatReading(value)).toBe(expected);
  });
});
