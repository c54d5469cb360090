import type { Status } from '../core/types.js';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { probeViews, type ProbeView } from '../core/read-model.js';
import type { ProbeSnapshot } from '../core/state.js';
import { details, diagnosticsFrame, type DiagnosticsInput } from './diagnostics-body.js';

/** Longest stretch of per-probe work before letting other requests and probe runs in. */
export const RENDER_SLICE_MS = 5;

interface Part {
  /** `"name":{…}` for vitals.probes. */
  probe: string;
  /** `"name:status":[{…}],…` for checks. */
  checks: string;
}

/**
 * Renders /diagnostics as JSON text. Each probe's part is kept until its
 * snapshot is replaced (the scheduler swaps it whole per run), so a request
 * re-renders only the probes that ran since; the work is cut into slices of
 * at most RENDER_SLICE_MS (5 ms) so a body for 1,000 probes never holds the event
 * loop (and /ready behind it) for long.
 */
export class DiagnosticsRenderer {
  private readonly parts = new WeakMap<ProbeSnapshot, Part>();

  /** The body as bytes, with its status (the route answers 503 on fail). */
  async renderBody(input: DiagnosticsInput): Promise<{ body: Buffer; status: Status }> {
    const text = await this.render(input);
    return { body: Buffer.from(text), status: diagnosticsFrame(input).head.status };
  }

  async render(input: DiagnosticsInput): Promise<string> {
    const probes: string[] = [];
    const checks: string[] = [];
    let sliceStart = performance.now();
    // Views over every probe, even when filtered: a dependent's reason depends on its roots.
    const views = probeViews(input.probes, input.lifecycle, input.now);
    for (const [index, snapshot] of input.probes.entries()) {
      if (input.only !== undefined && !input.only.has(snapshot.name)) continue;
      const part = this.part(snapshot, views[index] as ProbeView, input);
      probes.push(part.probe);
      if (part.checks !== '') checks.push(part.checks);
      if (performance.now() - sliceStart > RENDER_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    const { head, rest } = diagnosticsFrame(input);
    const headJson = JSON.stringify(head);
    const restJson = JSON.stringify(rest);
    // Same key order as buildDiagnostics: head fields, checks, vitals.probes, the other vitals fields.
    return `${headJson.slice(0, -1)},"checks":{${checks.join(',')}},"vitals":{"probes":{${probes.join(',')}},${restJson.slice(1)}}`;
  }

  private part(snapshot: ProbeSnapshot, view: ProbeView, input: DiagnosticsInput): Part {
    // Rebuilt every time when its text depends on more than its own snapshot:
    // a stale probe's explanation counts the time since its last run, and a
    // probe with dependencies is explained by its roots' runs.
    const cacheable = !view.stale && view.dependsOn.length === 0;
    const cached = this.parts.get(snapshot);
    if (cached !== undefined && cacheable) return cached;
    const { probe, checks } = details(snapshot, view, input);
    const part: Part = {
      probe: `${JSON.stringify(snapshot.name)}:${JSON.stringify(probe)}`,
      checks: checks.map(([key, entry]) => `${JSON.stringify(key)}:[${JSON.stringify(entry)}]`).join(','),
    };
    if (cacheable) this.parts.set(snapshot, part);
    return part;
  }
}
