import { formatDuration } from '../core/duration.js';
import type { PrometheusUptimeSettings } from '../core/settings.js';

/**
 * One long-range uptime query against the Prometheus HTTP API and what its
 * answer means: pure parts (query text, response → values or a reason) and
 * the one fetch that uses them. The background loop is prometheus-uptime.ts.
 */

/** The windows the status page shows, in order. */
export const UPTIME_WINDOWS = [
  { label: '7d', range: '7d' },
  { label: '30d', range: '30d' },
] as const;
export type UptimeWindowLabel = (typeof UPTIME_WINDOWS)[number]['label'];

/** An answer for 1,000 probes is ~100 KiB; anything this big is not the answer we asked for. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * One query for every probe at once: the share of scraped vitals_probe_up
 * samples that were 1 over the window, per probe. For a single series this
 * is avg_over_time(vitals_probe_up[range]); summing samples and counts across
 * series weights each replica or pod (a restarted pod is a new series) by how
 * long it was scraped, instead of averaging a 5-minute pod like a 30-day one.
 */
export function uptimeQuery(selector: string, range: string): string {
  const series = `vitals_probe_up${selector}`;
  return `sum by (probe) (sum_over_time(${series}[${range}])) / sum by (probe) (count_over_time(${series}[${range}]))`;
}

export type QueryOutcome = { ok: true; values: Map<string, number> } | { ok: false; reason: string };

interface PrometheusBody {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/** Long Prometheus errors (a parse error quotes the query) are cut: the page has one line for them. */
function short(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function prometheusError(body: PrometheusBody | undefined): string | undefined {
  if (body === undefined || body.status !== 'error') return undefined;
  const type = typeof body.errorType === 'string' ? `${body.errorType}: ` : '';
  return short(`${type}${typeof body.error === 'string' ? body.error : 'error'}`);
}

function parseJson(text: string): PrometheusBody | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as PrometheusBody) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An HTTP status and body from /api/v1/query → uptime per probe, or the
 * reason to show instead ("HTTP 401 …", "bad response: …"). Values outside
 * [0, 1] or not numbers are a bad response, not a number to print.
 */
export function parseUptimeResponse(status: number, text: string): QueryOutcome {
  const body = parseJson(text);
  if (status < 200 || status > 299) {
    if (status >= 300 && status < 400) return { ok: false, reason: `HTTP ${status}: redirects are not followed; set url to the address that answers` };
    const detail = prometheusError(body);
    const auth = status === 401 || status === 403 ? ': credentials rejected (check bearerToken / headers)' : '';
    return { ok: false, reason: `HTTP ${status}${auth}${detail === undefined ? '' : `: ${detail}`}` };
  }
  if (body === undefined) return { ok: false, reason: 'bad response: not JSON (is url a Prometheus server?)' };
  const error = prometheusError(body);
  if (error !== undefined) return { ok: false, reason: `bad response: ${error}` };
  if (body.status !== 'success' || body.data?.resultType !== 'vector' || !Array.isArray(body.data.result)) {
    return { ok: false, reason: 'bad response: expected a success with an instant vector (is url a Prometheus server?)' };
  }
  const values = new Map<string, number>();
  for (const sample of body.data.result as unknown[]) {
    const { metric, value } = (sample ?? {}) as { metric?: Record<string, unknown>; value?: unknown };
    const probe = metric?.probe;
    const raw = Array.isArray(value) ? (value[1] as unknown) : undefined;
    const number = typeof raw === 'string' ? Number(raw) : Number.NaN;
    if (typeof probe !== 'string' || !Number.isFinite(number) || number < 0 || number > 1) {
      return { ok: false, reason: 'bad response: a sample without a probe label or a value between 0 and 1' };
    }
    values.set(probe, number);
  }
  return { ok: true, values };
}

/** Why a fetch threw, as one line: the cause's code when there is one (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED). */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string; name?: string } } | null;
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') return `prometheus timed out after ${formatDuration(timeoutMs)}`;
  if (e?.name === 'ResponseTooLarge') return `bad response: larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`;
  const cause = e?.cause;
  const detail = cause?.code ?? cause?.message ?? e?.message ?? String(error);
  return `prometheus unreachable: ${short(detail, 120)}`;
}

/** Reads at most `max` bytes of a body; more is an error (the connection is released by cancelling the stream). */
async function boundedText(response: Response, max: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw Object.assign(new Error('response too large'), { name: 'ResponseTooLarge' });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * GET /api/v1/query for one window. Never throws: a failure is an outcome
 * with its reason. `signal` bounds the whole exchange, body included; the
 * same timeout goes to Prometheus so it stops evaluating too. Redirects are
 * not followed (the Authorization header must not travel elsewhere).
 */
export async function queryUptime(settings: PrometheusUptimeSettings, range: string, signal: AbortSignal): Promise<QueryOutcome> {
  const params = new URLSearchParams({ query: uptimeQuery(settings.selector, range), timeout: `${settings.timeoutMs}ms` });
  try {
    const response = await fetch(`${settings.url}/api/v1/query?${params.toString()}`, {
      headers: { accept: 'application/json', ...settings.headers },
      redirect: 'manual',
      signal,
    });
    return parseUptimeResponse(response.status, await boundedText(response, MAX_RESPONSE_BYTES));
  } catch (error) {
    return { ok: false, reason: describeFetchError(error, settings.timeoutMs) };
  }
}
