import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { probeViews, type ProbeView } from '../core/read-model.js';
import type { LifecycleState, ProbeSnapshot, RunEvent } from '../core/state.js';
import type { ProbeType } from '../core/types.js';
import { familyHeader } from './exposition.js';
import { ProbeSeries, probeFamilies, type ProbeFamily, type ProbeReading } from './probe-series.js';

/** Longest stretch of per-probe work in one scrape before letting /ready and probe runs in. */
export const RENDER_SLICE_MS = 5;

/**
 * A scrape stops yielding once it is this old: on a saturated event loop
 * (measured: 1,000 probes on a 2-core machine at load 13, where /ready took
 * ≈ 0.5 s in the quiet phase) every yield waits behind a long backlog, and a
 * sliced first scrape took 13 s — past the server's own 10 s socket limit and
 * Prometheus' default scrape timeout. What is left then runs at once: at most
 * one whole render, ≈ 15-30 ms of CPU at 1,000 probes.
 */
export const RENDER_SLICED_FOR_MS = 1_000;

/**
 * Probes per block: a family's bytes are kept in blocks of this many probes,
 * so one probe's run re-encodes its own block of each family it changed, not
 * the whole family (≈ 1 MB for the histogram at 1,000 probes). The clock is
 * read between blocks.
 */
const BLOCK = 64;

/** The bytes of one family for BLOCK probes. */
interface Block {
  readonly bytes: Buffer;
}

export interface ProbeExpositionInput {
  /** The probes to show, in configuration order (StateReader.list()). */
  probes: readonly ProbeSnapshot[];
  lifecycle: Pick<LifecycleState, 'startedAt'>;
  now: number;
}

/**
 * The probe-labelled part of /metrics, written without prom-client. Each
 * probe keeps, per family, the text it last wrote and what that text showed
 * (probe-series.ts); a scrape lays the probes' chunks out family by family
 * (the format wants one HELP/TYPE header per family and its samples
 * contiguous). A chunk is rewritten only when what it shows changed — mostly
 * after that probe's run — and a block of a family's bytes is joined again
 * only when one of its probes changed, so a scrape between runs does no
 * per-sample work and encodes nothing. The work is cut into slices of at most
 * RENDER_SLICE_MS.
 *
 * Counters follow runs (record) and live as long as the probe keeps its name
 * and type: a reload that changes other settings keeps them (monotonic), a
 * probe that is removed loses them, one that comes back starts at 0.
 */
export class ProbeExposition {
  private readonly families: readonly ProbeFamily[];
  private readonly headers: readonly Buffer[];
  private readonly series = new Map<string, ProbeSeries>();
  /** Per family, the blocks of the latest scrape, in probe order (this.order). */
  private readonly blocks: Block[][];
  private order: readonly ProbeSeries[] = [];
  private allViews: { probes: readonly ProbeSnapshot[]; at: number; startedAt: number; validUntil: number; views: ProbeView[] } | undefined;
  private readonly skippedRuns: ((probe: string) => number) | undefined;
  /** Scrapes one after another: a scrape suspended between slices must not see another rewrite its chunks. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    options: { skippedRuns?: (probe: string) => number },
    initial: Iterable<{ name: string; type: ProbeType; transitions?: number }>,
  ) {
    this.skippedRuns = options.skippedRuns;
    this.families = probeFamilies({ skipped: options.skippedRuns !== undefined });
    this.headers = this.families.map((f) => Buffer.from(familyHeader(f.name, f.help, f.type)));
    this.blocks = this.families.map(() => []);
    for (const p of initial) this.ensure(p, p.transitions ?? 0);
  }

  /** A finished run. A probe not seen before (added since) gets its series here. */
  record(event: RunEvent): void {
    this.ensure(event.snapshot, 0).record(event);
  }

  /**
   * After a live reload: probes that are gone, or came back with another type,
   * lose their series (every label set); new ones get zeroed counters.
   */
  sync(probes: ReadonlyArray<{ name: string; type: ProbeType }>): void {
    const wanted = new Map(probes.map((p) => [p.name, p.type]));
    for (const [name, s] of this.series) if (wanted.get(name) !== s.type) this.series.delete(name);
    for (const p of probes) this.ensure(p, 0);
  }

  /** Every probe family as UTF-8 bytes, in pieces to concatenate in order (kept, and returned again, while unchanged). */
  render(input: ProbeExpositionInput): Promise<Buffer[]> {
    const run = this.queue.then(() => this.renderNow(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private ensure(p: { name: string; type: ProbeType }, transitions: number): ProbeSeries {
    const known = this.series.get(p.name);
    if (known !== undefined && known.type === p.type) return known;
    const created = new ProbeSeries(p.name, p.type, this.families.length, transitions);
    this.series.set(p.name, created);
    return created;
  }

  private async renderNow(input: ProbeExpositionInput): Promise<Buffer[]> {
    const { probes, lifecycle, now } = input;
    const views = this.allViewsOf(input);
    const series: ProbeSeries[] = [];
    const changed: boolean[] = [];
    const readings: ProbeReading[] = [];
    for (const [i, snapshot] of probes.entries()) {
      const s = this.ensure(snapshot, snapshot.transitions);
      // The latest result's expiry, for runs recorded before these series existed.
      s.rememberCert(snapshot.last?.certExpiry);
      const view = views === undefined ? s.ownView(snapshot, lifecycle, now) : views[i]!;
      const reading: ProbeReading = { snapshot, view, skipped: this.skippedRuns?.(snapshot.name) ?? 0 };
      series.push(s);
      readings.push(reading);
      changed.push(s.changedSince(reading));
    }
    // Another list (a reload added, removed or reordered probes): no block is kept.
    const sameProbes = series.length === this.order.length && series.every((s, i) => s === this.order[i]);
    this.order = series;
    const started = performance.now();
    let sliceStart = started;
    const out: Buffer[] = [];
    for (const [f, family] of this.families.entries()) {
      out.push(this.headers[f]!);
      const kept = sameProbes ? this.blocks[f]! : [];
      const blocks: Block[] = [];
      for (let start = 0; start < series.length; start += BLOCK) {
        const end = Math.min(start + BLOCK, series.length);
        const block = this.block(family, f, kept[blocks.length], series, readings, changed, start, end);
        blocks.push(block);
        out.push(block.bytes);
        const at = performance.now();
        if (at - sliceStart > RENDER_SLICE_MS && at - started < RENDER_SLICED_FOR_MS) {
          await yieldToEventLoop();
          sliceStart = performance.now();
        }
      }
      this.blocks[f] = blocks;
    }
    return out;
  }

  /**
   * Probes start..end of one family: the kept bytes while none of those
   * probes' texts changed, else their texts written again and encoded. Texts
   * are not kept as strings: they would outlive a scavenge and fill the old
   * generation with garbage one scrape later; the block's bytes live off the
   * JavaScript heap.
   */
  private block(
    family: ProbeFamily,
    f: number,
    kept: Block | undefined,
    series: readonly ProbeSeries[],
    readings: readonly ProbeReading[],
    changed: readonly boolean[],
    start: number,
    end: number,
  ): Block {
    let dirty = kept === undefined;
    // Every key of the block is taken (no early exit): a key left behind would read as a change next time.
    for (let i = start; i < end; i += 1) if (changed[i] === true && series[i]!.keyChanged(f, family, readings[i]!)) dirty = true;
    if (!dirty) return kept!;
    // One rope, flattened once by Buffer.from (Array.join walks every rope it is given, ≈ 5× slower, measured).
    let text = '';
    for (let i = start; i < end; i += 1) text += family.text(series[i]!, readings[i]!);
    return { bytes: Buffer.from(text) };
  }

  /**
   * Views over all probes (probeViews), when the root-cause rule can matter:
   * it only ever blames a probe that has dependsOn, so without any,
   * probeViews() is probeView() per probe and each probe keeps its own view
   * (ProbeSeries.ownView: a scrape computes views only for the probes that
   * ran) — undefined then. With dependsOn anywhere, views over all probes,
   * kept while the list is the same and time has not passed any validUntil.
   */
  private allViewsOf({ probes, lifecycle, now }: ProbeExpositionInput): ProbeView[] | undefined {
    if (!probes.some((p) => (p.dependsOn?.length ?? 0) > 0)) return undefined;
    const all = this.allViews;
    if (all !== undefined && all.probes === probes && all.startedAt === lifecycle.startedAt && now >= all.at && now <= all.validUntil) {
      return all.views;
    }
    const views = probeViews(probes, lifecycle, now);
    this.allViews = { probes, at: now, startedAt: lifecycle.startedAt, validUntil: Math.min(...views.map((v) => v.validUntil)), views };
    return views;
  }
}

