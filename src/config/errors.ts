/**
 * Config problems are collected, never thrown one at a time: the user fixes a
 * file in one pass (CONTRACT §5: "All errors are reported at once").
 */
export interface ConfigIssue {
  /** Where, as written in the file: `probes[2].timeout`, `server.port`; '' for the file as a whole. */
  path: string;
  message: string;
}

export type PathSegment = string | number;

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  /** The file the issues are about, or 'zero-config'. */
  readonly source: string;

  constructor(source: string, issues: ConfigIssue[]) {
    super(`${source}: ${issues.length === 1 ? '1 problem' : `${issues.length} problems`}`);
    this.name = 'ConfigError';
    this.source = source;
    this.issues = issues;
  }
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `['probes', 2, 'timeout']` → `probes[2].timeout`; odd keys are quoted: `headers["x.y"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function issueAt(path: readonly PathSegment[], message: string): ConfigIssue {
  return { path: formatPath(path), message };
}
