import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { formatPath, type PathSegment } from '../../config/errors.js';

/** A workload's pod spec and the container in it that runs vitals, with a way to name lines. */
export interface VitalsContainer {
  /** `Deployment/vitals`. */
  workload: string;
  podPath: PathSegment[];
  pod: Record<string, unknown>;
  containerPath: PathSegment[];
  container: Record<string, unknown>;
  /** Line (1-based) of the node at `path`, or of its nearest ancestor that is written. */
  lineOf(path: readonly PathSegment[]): number;
}

export interface ParsedManifests {
  containers: VitalsContainer[];
  /** YAML syntax errors, `line N: message`. */
  errors: string[];
}

const POD_SPEC_PATH: Record<string, PathSegment[]> = {
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Pod: ['spec'],
};

export const WORKLOAD_KINDS = Object.keys(POD_SPEC_PATH);

/**
 * Every Deployment, StatefulSet, DaemonSet and Pod in a multi-document YAML
 * text (kustomize output, a directory's files concatenated) that runs vitals;
 * other objects and workloads of other programs are skipped.
 */
export function parseManifests(text: string, serverPort: number): ParsedManifests {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  // An empty input is an empty list; a parse that fails as a whole is one error.
  const list: Document[] = Array.isArray(docs) ? docs : [];
  const errors: string[] = [];
  const containers: VitalsContainer[] = [];
  for (const doc of list) {
    for (const error of doc.errors) errors.push(`line ${lineCounter.linePos(error.pos[0]).line}: ${error.message.split('\n')[0] ?? ''}`);
    if (doc.errors.length > 0 || !isMap(doc.contents)) continue;
    const object = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
    const podPath = typeof object.kind === 'string' ? POD_SPEC_PATH[object.kind] : undefined;
    if (podPath === undefined) continue;
    const pod = record(getPath(object, podPath));
    const found = findVitalsContainer(Array.isArray(pod?.containers) ? pod.containers : [], serverPort);
    if (pod === undefined || found === undefined) continue;
    const name = typeof record(object.metadata)?.name === 'string' ? String(record(object.metadata)?.name) : '(unnamed)';
    containers.push({
      workload: `${String(object.kind)}/${name}`,
      podPath,
      pod,
      containerPath: [...podPath, 'containers', found.index],
      container: found.container,
      lineOf: (path) => nearestLine(doc, lineCounter, path),
    });
  }
  return { containers, errors };
}

export function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function getPath(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

export const pathText = (path: readonly PathSegment[]): string => formatPath(path);

/**
 * Which container runs vitals, in order of certainty: its image's name
 * contains "vitals"; else its command/args run `vitals serve` (or the
 * package's main.js serve); else, as a last resort, it is the only container
 * exposing server.port or a port named "vitals".
 */
export function findVitalsContainer(containers: unknown[], serverPort: number): { index: number; container: Record<string, unknown> } | undefined {
  const all = containers.map((c, index) => ({ index, container: record(c) ?? {} }));
  const byImage = all.find(({ container }) => typeof container.image === 'string' && imageName(container.image).includes('vitals'));
  if (byImage !== undefined) return byImage;
  const byCommand = all.find(({ container }) => /\b(vitals|main\.js)\s+serve\b/.test(commandLine(container)));
  if (byCommand !== undefined) return byCommand;
  const byPort = all.filter(({ container }) => ports(container).some((p) => p.containerPort === serverPort || p.name === 'vitals'));
  return byPort.length === 1 ? byPort[0] : undefined;
}

/** `registry.example/team/vitals-agent:1.2@sha256:…` → `vitals-agent`: a registry or tag naming vitals is not enough. */
function imageName(image: string): string {
  const withoutDigest = image.split('@')[0] ?? '';
  const last = withoutDigest.split('/').pop() ?? '';
  return (last.split(':')[0] ?? '').toLowerCase();
}

export function commandLine(container: Record<string, unknown>): string {
  const words = [container.command, container.args].flatMap((list) => (Array.isArray(list) ? list.map(String) : []));
  return words.join(' ');
}

export interface ContainerPort {
  index: number;
  name?: string;
  containerPort?: number;
}

export function ports(container: Record<string, unknown>): ContainerPort[] {
  const list = Array.isArray(container.ports) ? container.ports : [];
  return list.map((p, index) => {
    const port = record(p) ?? {};
    return {
      index,
      ...(typeof port.name === 'string' ? { name: port.name } : {}),
      ...(typeof port.containerPort === 'number' ? { containerPort: port.containerPort } : {}),
    };
  });
}

function nearestLine(doc: Document, lineCounter: LineCounter, path: readonly PathSegment[]): number {
  for (let length = path.length; length >= 0; length -= 1) {
    const node = doc.getIn(path.slice(0, length), true);
    if (isScalar(node) || isMap(node) || isSeq(node)) {
      const start = node.range?.[0];
      if (start !== undefined) return lineCounter.linePos(start).line;
    }
  }
  return 1;
}
