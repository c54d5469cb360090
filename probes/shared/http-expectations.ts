/**
 * The pure parts of judging an HTTP response: which status codes are
 * expected, and whether a JSON body has the expected field values.
 */

export type StatusSpec = number | string;

/** "200-299" → [200, 299]; 204 → [204, 204]. Ranges are validated by the options schema. */
function toRange(spec: StatusSpec): [number, number] {
  if (typeof spec === 'number') return [spec, spec];
  const [low, high] = spec.split('-').map((part) => Number(part.trim()));
  return [low ?? Number.NaN, high ?? low ?? Number.NaN];
}

export function isStatusRange(spec: string): boolean {
  const match = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(spec);
  if (match === null) return false;
  const low = Number(match[1]);
  const high = match[2] === undefined ? low : Number(match[2]);
  return low >= 100 && high <= 599 && low <= high;
}

export function statusExpected(status: number, specs: readonly StatusSpec[]): boolean {
  return specs.some((spec) => {
    const [low, high] = toRange(spec);
    return status >= low && status <= high;
  });
}

/** "200-399" / "200, 204" — for messages. */
export function describeExpected(specs: readonly StatusSpec[]): string {
  return specs.map((spec) => String(spec).replace(/\s+/g, '')).join(', ');
}

/** `a.b[0].c` → ['a', 'b', 0, 'c'], `[0].id` → [0, 'id']; undefined when the path is malformed. */
export function parseJsonPath(path: string): (string | number)[] | undefined {
  const steps: (string | number)[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|(\.)/g;
  let state: 'start' | 'afterDot' | 'afterStep' = 'start';
  let position = 0;
  for (let match = pattern.exec(path); match !== null; match = pattern.exec(path)) {
    if (match.index !== position) return undefined;
    position = pattern.lastIndex;
    if (match[3] !== undefined) {
      if (state !== 'afterStep') return undefined;
      state = 'afterDot';
    } else if (match[2] !== undefined) {
      if (state === 'afterDot') return undefined;
      steps.push(Number(match[2]));
      state = 'afterStep';
    } else if (match[1] !== undefined) {
      if (state === 'afterStep') return undefined;
      steps.push(match[1]);
      state = 'afterStep';
    }
  }
  if (position !== path.length || state !== 'afterStep') return undefined;
  return steps;
}

const MISSING = Symbol('missing');

function lookup(root: unknown, steps: readonly (string | number)[]): unknown {
  let node: unknown = root;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(node) || step >= node.length) return MISSING;
      node = node[step];
    } else {
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, step)) return MISSING;
      node = (node as Record<string, unknown>)[step];
    }
  }
  return node;
}

/** Short quoted rendering for messages: a response body may be large or sensitive. */
export function shortValue(value: unknown, limit = 60): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

export type JsonExpectations = Record<string, string | number | boolean | null>;

/** Each path whose value differs, as "a.b: expected 1, got 2". Empty when all match. */
export function jsonMismatches(body: unknown, expected: JsonExpectations): string[] {
  const out: string[] = [];
  for (const [path, want] of Object.entries(expected)) {
    const steps = parseJsonPath(path);
    if (steps === undefined) {
      out.push(`${path}: not a valid field path`);
      continue;
    }
    const got = lookup(body, steps);
    if (got === MISSING) out.push(`${path}: missing, expected ${shortValue(want)}`);
    else if (got !== want) out.push(`${path}: expected ${shortValue(want)}, got ${shortValue(got)}`);
  }
  return out;
}
