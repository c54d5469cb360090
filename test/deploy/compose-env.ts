/** Reads a .env file the way docker compose does for plain KEY=value lines. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`not KEY=value: ${line}`);
    env[line.slice(0, eq).trim()] = line.slice(eq + 1).trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

/**
 * Compose-style interpolation: ${VAR}, ${VAR:-default}, ${VAR-default},
 * ${VAR:?message}, ${VAR?message}; `$$` is a literal `$` left for the
 * container. Throws on a required variable that is missing.
 */
export function interpolate(text: string, env: Record<string, string>, missing: string[] = []): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (match === '$$') return '$';
    const key = name ?? '';
    const value = env[key];
    const unsetOrEmpty = value === undefined || (op?.startsWith(':') === true && value === '');
    if (op?.endsWith('-') === true) return unsetOrEmpty ? (arg ?? '') : (value ?? '');
    if (op?.endsWith('?') === true && unsetOrEmpty) throw new Error(`${key}: ${arg ?? 'required'}`);
    if (value === undefined) missing.push(key);
    return value ?? '';
  });
}
