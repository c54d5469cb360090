/**
 * Reading fields of errors from libraries we do not type: pg's `code`,
 * ioredis's `command`, Node's `cause`. One place, so every classifier reads
 * unknown values the same careful way.
 */
export function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

export function stringField(value: unknown, key: string): string | undefined {
  const found = field(value, key);
  return typeof found === 'string' ? found : undefined;
}
