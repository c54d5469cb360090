#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { CliError, EXIT } from './exit-codes.js';

// Each command's module is imported when that command runs, not before: `vitals serve`
// then never loads what only check, config and kube use (yaml output, kube rules),
// and `vitals --help` loads none of them.

const configOption = (): Option =>
  new Option('-c, --config <file>', 'YAML config file (default: $VITALS_CONFIG, then ./vitals.yaml, else zero-config)');

/** `vitals config validate`, for usage lines. */
function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function buildProgram(exit: (code: number) => void): Command {
  const program = new Command('vitals')
    .description('Health checks for a platform’s dependencies: liveness, readiness, diagnostics and Prometheus metrics')
    .version(VERSION, '-v, --version')
    .showSuggestionAfterError(true)
    .exitOverride();

  program
    .command('serve')
    .description('run the service (npm start)')
    .addOption(configOption())
    .option('--watch', 're-read the config when its file changes (content checked every 5 s; a ConfigMap symlink swap counts)')
    .action(async (opts: { config?: string; watch?: boolean }) => {
      // Before the service's modules load: see young-generation.ts.
      (await import('./young-generation.js')).holdYoungGeneration();
      exit(await (await import('./serve.js')).runServe(opts));
    });

  program
    .command('check')
    .description('run every probe once, in parallel, and print the results; exit 1 if a critical probe fails')
    .addOption(configOption())
    .option('--json', 'print JSON instead of a table')
    .option('-p, --probe <name>', 'only this probe (repeatable)', collect)
    .action(async (opts: { config?: string; json?: boolean; probe?: string[] }) => exit(await (await import('./check.js')).runCheck(opts)));

  const config = program.command('config').description('validate or print the configuration');
  config
    .command('validate')
    .description('check the configuration and list every problem (exit 2 when invalid)')
    .addOption(configOption())
    .action(async (opts: { config?: string }) => exit(await (await import('./config-commands.js')).runConfigValidate(opts)));
  config
    .command('print')
    .description('print the effective configuration with secrets redacted')
    .addOption(configOption())
    .option('--json', 'print JSON instead of YAML')
    .action(async (opts: { config?: string; json?: boolean }) => exit(await (await import('./config-commands.js')).runConfigPrint(opts)));

  const kube = program.command('kube').description('Kubernetes probe settings derived from the config, and a lint of manifests against it');
  kube
    .command('probes')
    .description('print startupProbe, livenessProbe, readinessProbe, preStop and terminationGracePeriodSeconds matching the config')
    .addOption(configOption())
    .option('--container <name>', 'name of the container that runs vitals, in the printed patch', 'vitals')
    .action(async (opts: { config?: string; container?: string }) => exit(await (await import('./kube/commands.js')).runKubeProbes(opts)));
  kube
    .command('lint')
    .description('check Kubernetes manifests (- for stdin) against the config; exit 1 when a setting contradicts it')
    .argument('<manifest...>', 'YAML files, multi-document; - reads stdin (kustomize build | vitals kube lint -)')
    .addOption(configOption())
    .action(async (files: string[], opts: { config?: string }) => exit(await (await import('./kube/commands.js')).runKubeLint(files, opts)));

  // Every (sub)command: usage errors exit 2 instead of commander's 1, and
  // show the command's usage line under the error (not the whole help).
  for (const command of [program, ...program.commands, ...config.commands, ...kube.commands]) {
    command.exitOverride();
    command.configureOutput({ writeErr: (text) => process.stderr.write(text) });
    command.showHelpAfterError(`usage: ${fullName(command)} ${command.usage()}\n(add --help for details)`);
  }
  return program;
}

async function main(argv: string[]): Promise<void> {
  // Flush stdout before exiting: `vitals check | jq` must get the whole document.
  const exit = (code: number): void => {
    process.stdout.write('', () => process.exit(code));
  };
  const program = buildProgram(exit);
  if (argv.length <= 2) {
    program.outputHelp();
    exit(EXIT.usage);
    return;
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
      return;
    }
    if (error instanceof CliError) {
      process.stderr.write(`vitals: ${error.message}\n`);
      exit(error.exitCode);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`vitals: unexpected error: ${message}\n`);
    exit(EXIT.failure);
  }
}

await main(process.argv);
