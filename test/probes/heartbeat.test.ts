import { describe, expect, it } from 'vitest';
import { HeartbeatProbe, heartbeatProbe, humanSpan } from '../../probes/heartbeat.js';
import { ProbeError } from '../../src/core/errors.js';

/** The probe on a clock the test moves: the contract's own example, to the second. */
function probeAt(options: { expectEvery: string; grace?: string }) {
  const clock = { now: 1_750_000_000_000 };
  const probe = new HeartbeatProbe(heartbeatProbe.options.parse({ ...options, token: 't' }), () => clock.now);
  return { probe, clock };
}

async function failure(probe: HeartbeatProbe): Promise<ProbeError> {
  const error = await probe.check().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProbeError);
  return error as ProbeError;
}

describe('heartbeat probe', () => {
  it('spells spans as the contract does', () => {
    expect(humanSpan(372_000)).toBe('6m12s');
    expect(humanSpan(1_340)).toBe('1.3s');
    expect(humanSpan(3_600_000 + 5_000)).toBe('1h5s');
    expect(humanSpan(90_061_000)).toBe('1d1h1m1s');
  });

  it('passes until expectEvery + grace (default 10 %), then fails with reason timeout and the contract message', async () => {
    const { probe, clock } = probeAt({ expectEvery: '5m' });
    clock.now += 330_000; // exactly 5m + 30s: still on time
    expect(await probe.check()).toMatchObject({
      observations: [{ measurement: 'sinceLastBeat', value: 330, unit: 'seconds' }],
      info: { expectEvery: '5m', grace: '30s', lastBeat: null },
    });
    clock.now += 42_000;
    const error = await failure(probe);
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe('no heartbeat for 6m12s; expected every 5m');
    expect(error.details?.observations).toEqual([{ measurement: 'sinceLastBeat', value: 372, unit: 'seconds' }]);
    probe.beat();
    const after = await probe.check();
    expect(after.observations[0]!.value).toBe(0);
    expect(after.info?.lastBeat).toBe(new Date(clock.now).toISOString());
  });

  it('fails with reason unavailable after fail() until the next beat, and honours an explicit grace of 0', async () => {
    const { probe, clock } = probeAt({ expectEvery: '1m', grace: '0ms' });
    probe.fail('disk full');
    const error = await failure(probe);
    expect([error.reason, error.message]).toEqual(['unavailable', 'disk full']);
    probe.beat();
    await probe.check();
    clock.now += 60_001;
    expect((await failure(probe)).reason).toBe('timeout');
  });

  it('checks at a tenth of expectEvery, between 100 ms and 10 s', () => {
    const interval = (expectEvery: string) => heartbeatProbe.intervalFor!(heartbeatProbe.options.parse({ expectEvery }));
    expect(interval('500ms')).toBe(100);
    expect(interval('30s')).toBe(3_000);
    expect(interval('1d')).toBe(10_000);
  });
});
