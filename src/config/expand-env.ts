import { isSecretKey } from '../core/redact.js';
import { issueAt, type ConfigIssue, type PathSegment } from './errors.js';

/**
 * `${VAR}`, `${VAR:-default}` (default when unset or empty), `${VAR-default}`
 * (default when unset), `$$` for a literal `$`. Runs on the parsed YAML tree,
 * string values only, so a variable's value can never inject YAML structure.
 * Keys are not expanded.
 */
export interface Expansion {
  value: unknown;
  issues: ConfigIssue[];
  /** Values of referenced variables whose names look secret (…_API_KEY, …_TOKEN): redact these everywhere. */
  secrets: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*))?$/s;

export function expandEnv(tree: unknown, env: NodeJS.ProcessEnv): Expansion {
  const issues: ConfigIssue[] = [];
  const secrets = new Set<string>();
  const walk = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === 'string') {
      const result = expandString(value, env);
      for (const problem of result.problems) issues.push(issueAt(path, problem));
      for (const secret of result.secrets) secrets.add(secret);
      return result.text;
    }
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) out[key] = walk(inner, [...path, key]);
      return out;
    }
    return value;
  };
  const value = walk(tree, []);
  return { value, issues, secrets: [...secrets] };
}

export interface StringExpansion {
  text: string;
  /** One message per unset variable or malformed reference. */
  problems: string[];
  secrets: string[];
}

export function expandString(text: string, env: NodeJS.ProcessEnv): StringExpansion {
  const problems: string[] = [];
  const secrets: string[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char !== '$') {
      out += char;
      i += 1;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next !== '{') {
      // A lone `$` (e.g. in a password) stays as written.
      out += '$';
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close === -1) {
      problems.push(`unterminated "\${" (write \${NAME}, or $$ for a literal $)`);
      out += text.slice(i);
      break;
    }
    const body = text.slice(i + 2, close);
    i = close + 1;
    const match = REFERENCE.exec(body);
    if (match === null || !NAME.test(match[1] ?? '')) {
      problems.push(`invalid reference "\${${body}}" (write \${NAME} or \${NAME:-default}; $$ for a literal $)`);
      continue;
    }
    const name = match[1] as string;
    const operator = match[2];
    const fallback = match[3] ?? '';
    const value = env[name];
    if (operator === ':-' && (value === undefined || value === '')) {
      out += fallback;
    } else if (operator === '-' && value === undefined) {
      out += fallback;
    } else if (value === undefined) {
      problems.push(`environment variable ${name} is not set (give it a value, or write \${${name}:-default})`);
    } else {
      out += value;
      if (value !== '' && isSecretKey(name)) secrets.push(value);
    }
  }
  return { text: out, problems, secrets };
}
