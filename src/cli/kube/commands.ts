import { readFile, stat } from 'node:fs/promises';
import { CliError, EXIT } from '../exit-codes.js';
import { loadForCli } from '../load.js';
import { parseManifests, pathText, WORKLOAD_KINDS } from './manifest.js';
import { probesYaml } from './probes-yaml.js';
import { recommend } from './recommend.js';
import { lintContainer } from './rules.js';
import { kubeTiming } from './timing.js';

/** `vitals kube probes`: the kubelet settings that match the config, as a patch with a comment per field. */
export async function runKubeProbes(options: { config?: string; container?: string }): Promise<number> {
  const config = await loadForCli(options.config);
  process.stdout.write(probesYaml(recommend(kubeTiming(config)), config.source, options.container ?? 'vitals'));
  return EXIT.ok;
}

/** Manifests are small; a bigger input is a wrong path or a runaway pipe. */
const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/**
 * `vitals kube lint MANIFEST…`: one line per contradiction, `file:line: Kind/name field.path: why`.
 * 0 clean, 1 findings (or no container running vitals at all), 2 usage or config error.
 */
export async function runKubeLint(files: string[], options: { config?: string }): Promise<number> {
  const config = await loadForCli(options.config);
  const timing = kubeTiming(config);
  if (files.filter((f) => f === '-').length > 1) throw new CliError('"-" (stdin) may be given only once', EXIT.usage);
  const inputs = await Promise.all(files.map(async (file) => ({ file: file === '-' ? '<stdin>' : file, text: await readInput(file) })));

  const lines: string[] = [];
  let workloads = 0;
  for (const { file, text } of inputs) {
    const parsed = parseManifests(text, timing.port);
    if (parsed.errors.length > 0) throw new CliError(`${file}: not valid YAML: ${parsed.errors.join('; ')}`, EXIT.usage);
    for (const target of parsed.containers) {
      workloads += 1;
      // In the order of the file, as an editor shows them.
      const located = lintContainer(target, timing).map((finding) => ({ finding, line: target.lineOf(finding.path) }));
      for (const { finding, line } of located.sort((a, b) => a.line - b.line)) {
        lines.push(`${file}:${line}: ${target.workload} ${pathText(finding.path)}: ${finding.message}`);
      }
    }
  }
  if (workloads === 0) {
    lines.push(`${inputs.map((input) => input.file).join(', ')}: no ${WORKLOAD_KINDS.join(', ')} runs vitals (looked for an image named *vitals*, command/args "vitals serve", or the only container exposing server.port ${timing.port})`);
  }
  if (lines.length > 0) {
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stderr.write(`vitals kube lint: ${workloads === 0 ? 'nothing to check' : `${lines.length} finding${lines.length === 1 ? '' : 's'}`} against ${config.source}\n`);
    return EXIT.failure;
  }
  process.stderr.write(`vitals kube lint: ${workloads} workload${workloads === 1 ? '' : 's'} agree with ${config.source}\n`);
  return EXIT.ok;
}

async function readInput(file: string): Promise<string> {
  if (file === '-') return readStdin();
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new CliError(`${file}: is a directory; pass its files (deploy/k8s/*.yaml) or pipe "kustomize build ${file}" into "-"`, EXIT.usage);
    if (info.size > MAX_INPUT_BYTES) throw new CliError(`${file}: ${info.size} bytes; a manifest is at most 8 MiB (is this the right path?)`, EXIT.usage);
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = error !== null && typeof error === 'object' && 'code' in error ? String(error.code) : '';
    throw new CliError(`${file}: cannot read (${code === 'ENOENT' ? 'file not found' : code || String(error)})`, EXIT.usage);
  }
}

async function readStdin(): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_INPUT_BYTES) throw new CliError('<stdin>: more than 8 MiB; a manifest is smaller (is this the right pipe?)', EXIT.usage);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
