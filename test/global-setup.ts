import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * e2e suites spawn the built CLI (dist/src/cli/main.js) exactly as users and
 * the Docker image run it; build once per test run so they never test a stale
 * dist/.
 */
export default function setup(): void {
  if (process.env.VITALS_TEST_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('..', import.meta.url));
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
    // The rest of `npm run build`: dist/openapi/openapi.json, which the built service reads instead of the YAML.
    execFileSync(process.execPath, ['scripts/openapi-json.mjs'], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    // Unit and probe suites do not need dist/; the e2e suites will fail on
    // their own, with this output to explain why.
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? String(error);
    console.warn(`global-setup: build failed; e2e suites will run against a stale or missing dist/\n${output}`);
  }
}
