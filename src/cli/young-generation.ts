import { setFlagsFromString } from 'node:v8';

/**
 * V8 doubles its young generation whenever most of what a scavenge finds is
 * still alive, which is what module loading looks like: start-up then leaves
 * a zero-config vitals with 16 MiB of semi-spaces reserved where a bare
 * Fastify server keeps 8, and whether V8's memory reducer has shrunk them
 * back 30 s later varied from run to run (RSS 70 or 85 MiB, measured with
 * `npm run bench:memory`). Growth is held off while the service loads and
 * builds itself, and allowed again once it listens, so a large probe set
 * under load still gets the young generation its allocation rate needs
 * (capping it there only moved the same garbage into old space).
 *
 * `--semi-space-growth-factor` is read each time V8 decides to grow the new
 * space, so setting it at run time takes effect; it changes no behaviour but
 * memory reservation.
 */
const V8_DEFAULT_GROWTH_FACTOR = 2;

export function holdYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

export function releaseYoungGeneration(): void {
  setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH_FACTOR}`);
}
