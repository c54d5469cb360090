import { describe, expect, it } from 'vitest';
import { ShutdownBudget } from '../../src/runtime.js';

describe('ShutdownBudget: one clock for every shutdown step', () => {
  it('counts from its creation and never goes below zero', () => {
    const clock = { now: 1_000 };
    const budget = new ShutdownBudget(5_000, () => clock.now);
    expect(budget.remainingMs()).toBe(5_000);
    clock.now += 1_200;
    expect(budget.elapsedMs()).toBe(1_200);
    expect(budget.remainingMs()).toBe(3_800);
    clock.now += 10_000;
    expect(budget.remainingMs()).toBe(0);
  });
});
