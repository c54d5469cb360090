import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnVitals } from '../support/vitals-process.js';

/** The command line's own contract (CONTRACT §7): help, usage errors, one-line failures, exit codes. */

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vitals-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawnVitals(args, env, dir);
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

const STACK = /^\s+at /m;

describe('vitals command line', () => {
  it.each([
    [['--help'], /Usage: vitals \[options\] \[command\]/],
    [['help'], /Usage: vitals \[options\] \[command\]/],
    [['serve', '--help'], /Usage: vitals serve \[options\][\s\S]*--config <file>/],
    [['check', '--help'], /Usage: vitals check \[options\][\s\S]*--json[\s\S]*--probe <name>/],
    [['help', 'check'], /Usage: vitals check \[options\]/],
    [['config', '--help'], /Usage: vitals config \[options\] \[command\][\s\S]*validate[\s\S]*print/],
    [['config', 'validate', '--help'], /Usage: vitals config validate \[options\]/],
    [['config', 'print', '--help'], /Usage: vitals config print \[options\][\s\S]*--json/],
  ])('%j prints help and exits 0', async (args, usage) => {
    const result = await run(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(usage);
    expect(result.stderr).toBe('');
  });

  it('--version prints the version and exits 0', async () => {
    const result = await run(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('no arguments → the usage, exit 2', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/Usage: vitals \[options\] \[command\]/);
    expect(result.stdout).toMatch(/serve[\s\S]*check[\s\S]*config/);
  });

  it.each([
    [['check', '--bogus'], "error: unknown option '--bogus'", 'usage: vitals check [options]'],
    [['serve', '--port', '8080'], "error: unknown option '--port'", 'usage: vitals serve [options]'],
    [['config', 'validate', '--strict'], "error: unknown option '--strict'", 'usage: vitals config validate [options]'],
    [['chek'], "error: unknown command 'chek'", 'usage: vitals [options] [command]'],
    [['check', '--config'], "error: option '-c, --config <file>' argument missing", 'usage: vitals check [options]'],
  ])('%j → exit 2 with the error and the usage line', async (args, error, usage) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe(error);
    expect(result.stderr).toContain(usage);
    expect(result.stderr).toContain('--help');
    expect(result.stderr).not.toMatch(STACK);
  });

  it('a missing config file → one line naming the file, exit 2', async () => {
    for (const command of [['check'], ['serve'], ['config', 'validate'], ['config', 'print']]) {
      const result = await run([...command, '--config', 'missing.yaml']);
      expect(result.code, command.join(' ')).toBe(2);
      expect(result.stderr).toBe(`vitals: cannot read ${join(dir, 'missing.yaml')} (from --config): file not found\n`);
      expect(result.stdout).toBe('');
    }
  });

  it('$VITALS_CONFIG pointing nowhere → one line naming the variable', async () => {
    const result = await run(['config', 'validate'], { VITALS_CONFIG: '/nonexistent/vitals.yaml' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/\/nonexistent\/vitals\.yaml.*VITALS_CONFIG/);
  });

  it('config validate: 0 and a summary for a good file; config print masks secrets', async () => {
    const path = join(dir, 'good.yaml');
    writeFileSync(
      path,
      [
        'auth: { token: "tok-3c9f0a1b2e" }',
        'probes:',
        '  - { name: cache, type: redis, url: "redis://:hunter2-pass@127.0.0.1:6379" }',
        '',
      ].join('\n'),
    );
    const validate = await run(['config', 'validate', '--config', path]);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toBe(`${path}: valid, 1 probe (cache:redis)\n`);
    const print = await run(['config', 'print', '-c', path]);
    expect(print.code).toBe(0);
    expect(print.stdout).toMatch(/cache/);
    expect(print.stdout).not.toContain('hunter2-pass');
    expect(print.stdout).not.toContain('tok-3c9f0a1b2e');
  });

  it('config print output is itself a valid config (print | validate), with no defaults.interval nobody wrote', async () => {
    const path = join(dir, 'roundtrip.yaml');
    writeFileSync(
      path,
      [
        'auth: { token: "tok-77ab01c3d4" }',
        'probes:',
        '  - { name: db, type: postgres, url: "postgres://app:pw-5d1e9c@127.0.0.1:5432/app" }',
        '  - { name: port, type: tcp, host: 127.0.0.1, port: 6379, interval: 15s }',
        '  - { name: api, type: http, url: "http://127.0.0.1:9/health", headers: { Authorization: "Bearer sk-roundtrip-1" } }',
        '',
      ].join('\n'),
    );
    for (const format of [[], ['--json']]) {
      const print = await run(['config', 'print', '-c', path, ...format]);
      expect(print.code).toBe(0);
      expect(print.stdout).not.toMatch(/pw-5d1e9c|sk-roundtrip-1|tok-77ab01c3d4/);
      const printed = join(dir, `printed${format.length}.yaml`);
      writeFileSync(printed, print.stdout);
      const validate = await run(['config', 'validate', '--config', printed]);
      expect(validate.stderr).toBe('');
      expect(validate.stdout).toBe(`${printed}: valid, 3 probes (db:postgres, port:tcp, api:http)\n`);
      // Printing the printed file gives the same settings back.
      const again = await run(['config', 'print', '-c', printed, ...format]);
      expect(again.stdout.replace(/^# .*\n/, '')).toBe(print.stdout.replace(/^# .*\n/, ''));
    }
    const yamlOut = (await run(['config', 'print', '-c', path])).stdout;
    expect(yamlOut).toMatch(new RegExp(`^# effective config of ${path}\n`));
    expect(yamlOut).not.toMatch(/^source:/m);
    expect(yamlOut).toMatch(/^defaults:\n {2}timeout: 2s\n/m);
    expect(yamlOut).toMatch(/name: db\n {4}type: postgres\n(.*\n){3} {4}interval: 10s/);
    expect(yamlOut).toMatch(/name: port\n {4}type: tcp\n(.*\n){3} {4}interval: 15s/);
  });

  it('serve on a port in use → one line naming the port and server.port / VITALS_PORT, exit 1, no stack', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const path = join(dir, 'busy.yaml');
      writeFileSync(path, `server: { host: 127.0.0.1, port: ${port} }\nprobes:\n  - { name: loop, type: eventloop }\n`);
      const started = Date.now();
      const result = await run(['serve', '--config', path]);
      expect(result.code).toBe(1);
      expect(Date.now() - started).toBeLessThan(5_000);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^vitals: port ${port} on 127\\.0\\.0\\.1 is already in use.*server\\.port or VITALS_PORT$`));
      expect(result.stderr + result.stdout).not.toMatch(STACK);

      // The same through the environment override.
      const viaEnv = await run(['serve'], { VITALS_PORT: String(port) });
      expect(viaEnv.code).toBe(1);
      expect(viaEnv.stderr).toMatch(new RegExp(`port ${port} .*already in use`));
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
