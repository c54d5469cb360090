/**
 * Secret scrubbing for anything that leaves the process: responses, logs, CLI
 * output, error messages. Two layers: known secret values (from config) are
 * replaced wherever they appear, and secret-shaped text (URL passwords, bearer
 * tokens, key=value credentials) is masked even when we did not know it.
 */
export const REDACTED = '***';

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^:/?#@\s]*):([^@/?#\s]*)@/gi;
const AUTH_SCHEME = /\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{4,}/gi;
const KEY_VALUE =
  /\b(password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth|authorization|x-api-key)(["']?\s*[=:]\s*["']?)([^\s"'&,;]+)/gi;
const OPENAI_STYLE_KEY = /\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}/g;

/** Masks secrets in free text. `known` are exact secret values to remove too (config passwords, tokens). */
export function redactText(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const secret of known) {
    // Very short values would mask innocent text; they are still caught by the patterns.
    if (secret.length >= 3) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(URL_USERINFO, (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`)
    .replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(KEY_VALUE, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`)
    .replace(OPENAI_STYLE_KEY, REDACTED);
}

/** A URL with its password masked, or the redacted text if it does not parse. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = REDACTED;
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|token|key|auth/i.test(key)) parsed.searchParams.set(key, REDACTED);
    }
    return parsed.toString().replace(encodeURIComponent(REDACTED), REDACTED);
  } catch {
    return redactText(url);
  }
}

const SECRET_KEY = /pass|secret|token|api[_-]?key|authorization|credential|private/i;

/** Whether a config/header key names a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A deep copy with secret-named keys masked, URL strings' passwords masked and
 * known values removed. For config print, /diagnostics and logs.
 */
export function redactDeep<T>(value: T, known: readonly string[] = []): T {
  const walk = (v: unknown, key: string | undefined): unknown => {
    if (typeof v === 'string') {
      if (key !== undefined && isSecretKey(key) && v !== '') return REDACTED;
      return redactText(v.includes('://') ? redactUrl(v) : v, known);
    }
    if (Array.isArray(v)) return v.map((item) => walk(item, undefined));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, inner] of Object.entries(v)) out[k] = walk(inner, k);
      return out;
    }
    return v;
  };
  return walk(value, undefined) as T;
}

/** Every string value under secret-named keys or URL passwords in a config tree: the `known` list. */
export function collectSecrets(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, key: string | undefined): void => {
    if (typeof v === 'string') {
      if (key !== undefined && isSecretKey(key) && v.length > 0) found.add(v);
      if (v.includes('://')) {
        try {
          const password = decodeURIComponent(new URL(v).password);
          if (password.length > 0) found.add(password);
        } catch {
          // not a URL
        }
      }
      const bearer = /^(?:bearer|basic|token)\s+(\S+)$/i.exec(v);
      if (bearer?.[1] !== undefined) found.add(bearer[1]);
      return;
    }
    if (Array.isArray(v)) v.forEach((item) => walk(item, undefined));
    else if (v !== null && typeof v === 'object') for (const [k, inner] of Object.entries(v)) walk(inner, k);
  };
  walk(value, undefined);
  return [...found];
}
