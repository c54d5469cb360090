import { formatDuration } from '../core/duration.js';
import type { PrometheusUptimeSettings } from '../core/settings.js';
import { issueAt, type ConfigIssue } from './errors.js';
import type { ParsedFile } from './schema.js';

/** Each refresh runs a 30-day range query: more often than this only loads the Prometheus server. */
export const MIN_PROMETHEUS_INTERVAL_MS = 5_000;

const AT = ['statusPage', 'prometheus'] as const;

type Written = NonNullable<NonNullable<ParsedFile['statusPage']>['prometheus']>;

/**
 * statusPage.prometheus as written (schema-checked) → the settings the
 * fetcher takes, or issues for what only makes sense across fields: timeout
 * below interval, one source of credentials, a base URL rather than the
 * query endpoint. Credentials (bearerToken, user:password in the URL) become
 * one Authorization header, so every reader sees one secret-bearing map.
 */
export function prometheusUptimeSettings(written: Written, issues: ConfigIssue[]): PrometheusUptimeSettings | undefined {
  const before = issues.length;
  if (written.interval < MIN_PROMETHEUS_INTERVAL_MS) {
    issues.push(issueAt([...AT, 'interval'], `must be at least ${formatDuration(MIN_PROMETHEUS_INTERVAL_MS)} (each refresh queries 30 days of samples)`));
  } else if (written.timeout >= written.interval) {
    issues.push(issueAt([...AT, 'timeout'], `must be less than interval (${formatDuration(written.interval)})`));
  }

  const url = new URL(written.url);
  if (url.search !== '' || url.hash !== '') {
    issues.push(issueAt([...AT, 'url'], 'must not have a query or fragment: it is the server\'s base URL, /api/v1/query is appended'));
  }
  if (/\/api\/v1(\/query)?\/?$/.test(url.pathname)) {
    issues.push(issueAt([...AT, 'url'], 'give the server\'s base URL (e.g. http://prometheus:9090): /api/v1/query is appended'));
  }

  const headers: Record<string, string> = { ...written.headers };
  const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  // An empty token (e.g. "${PROMETHEUS_TOKEN:-}") means: none.
  const token = written.bearerToken === undefined || written.bearerToken === '' ? undefined : written.bearerToken;
  const userinfo = url.username !== '' || url.password !== '';
  const sources = [token === undefined ? '' : 'bearerToken', userinfo ? 'user:password in url' : '', hasAuthorization ? 'headers.Authorization' : ''].filter(
    (s) => s !== '',
  );
  if (sources.length > 1) {
    issues.push(issueAt([...AT, token === undefined ? 'url' : 'bearerToken'], `credentials given twice (${sources.join(' and ')}): keep one`));
  }
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  if (userinfo) {
    // fetch refuses URLs with credentials: they travel as Basic auth instead.
    const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.Authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  if (issues.length > before) return undefined;
  return {
    url: url.toString().replace(/\/+$/, ''),
    intervalMs: written.interval,
    timeoutMs: written.timeout,
    selector: written.selector,
    headers,
  };
}
