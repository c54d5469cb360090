import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * In a fresh process (the worker's heap has already grown): while held, a
 * burst of allocations that survive scavenges — what module loading looks
 * like — leaves the new space at its start size; once released, the same
 * burst grows it. So the flag is read at run time by this Node's V8; if a
 * V8 upgrade stopped reading it, the first assertion fails.
 */
const script = `
  const v8 = await import('node:v8');
  const { holdYoungGeneration, releaseYoungGeneration } = await import('./src/cli/young-generation.ts');
  const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  const kept = [];
  const burst = () => { for (let i = 0; i < 400_000; i++) kept.push({ i, s: 'x' + i }); };
  holdYoungGeneration();
  const start = newSpace();
  burst();
  const held = newSpace();
  releaseYoungGeneration();
  burst(); burst();
  console.log(JSON.stringify({ start, held, released: newSpace(), kept: kept.length }));
`;

describe('young generation held during start-up', () => {
  it('does not grow while held and grows again once released', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const { start, held, released } = JSON.parse(child.stdout.trim()) as { start: number; held: number; released: number };
    expect(held).toBeLessThanOrEqual(start);
    expect(released).toBeGreaterThan(held);
  });
});
