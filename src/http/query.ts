/**
 * Names from a repeatable query parameter: `?exclude=a&exclude=b` and
 * `?exclude=a,b` both give [a, b]. Empty items are dropped, duplicates merged.
 */
export function namesFrom(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? [value] : value;
  const names = items.flatMap((item) => item.split(',')).map((name) => name.trim());
  return [...new Set(names.filter((name) => name !== ''))];
}
