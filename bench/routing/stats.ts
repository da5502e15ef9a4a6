// Summaries of one arm's run: latency percentiles, throughput, the simulators' prefix-cache hit
// rate and how evenly requests spread over them. Pure functions over recorded numbers.

export interface RequestRecord {
  readonly group: number;
  readonly startMs: number;
  /** Time of the first content token, relative to startMs. */
  readonly ttftMs: number;
  readonly endMs: number;
  readonly outputTokens: number;
  readonly error?: string;
}

/** Counters one simulator reports on /metrics that the benchmark reads. */
export interface SimCounters {
  readonly prefixHits: number;
  readonly prefixQueries: number;
  readonly requests: number;
}

export interface ArmSummary {
  readonly requests: number;
  readonly errors: number;
  readonly ttftP50Ms: number;
  readonly ttftP90Ms: number;
  readonly itlMeanMs: number;
  readonly outputTokPerS: number;
  readonly prefixHitRate: number;
  /** Requests per simulator, in simulator order. */
  readonly perPod: readonly number[];
  /** Busiest simulator's requests over the mean (1 is perfectly even). */
  readonly spread: number;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) {
    return NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/**
 * Parses the counters from a simulator's Prometheus text. A series appears with its first
 * observation, so a missing one reads 0; a line that names a series but has no number is an error.
 */
export function parseSimMetrics(text: string): SimCounters {
  const sum = (name: string): number => {
    let total = 0;
    for (const line of text.split("\n")) {
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
        const value = Number(line.slice(line.lastIndexOf(" ") + 1));
        if (!Number.isFinite(value)) {
          throw new Error(`simulator metrics: ${name}: no number in "${line}"`);
        }
        total += value;
      }
    }
    return total;
  };
  return { prefixHits: sum("vllm:prefix_cache_hits"), prefixQueries: sum("vllm:prefix_cache_queries"), requests: sum("vllm:request_success_total") };
}

export function summarize(records: readonly RequestRecord[], counters: readonly SimCounters[]): ArmSummary {
  const ok = records.filter((r) => r.error === undefined);
  const first = Math.min(...records.map((r) => r.startMs));
  const last = Math.max(...records.map((r) => r.endMs));
  const tokens = ok.reduce((s, r) => s + r.outputTokens, 0);
  // Inter-token latency per request: decode time over the tokens after the first.
  const itl = ok.filter((r) => r.outputTokens > 1).map((r) => (r.endMs - r.startMs - r.ttftMs) / (r.outputTokens - 1));
  const hits = counters.reduce((s, c) => s + c.prefixHits, 0);
  const queries = counters.reduce((s, c) => s + c.prefixQueries, 0);
  const perPod = counters.map((c) => c.requests);
  const mean = perPod.reduce((s, n) => s + n, 0) / Math.max(1, perPod.length);
  return {
    requests: records.length,
    errors: records.length - ok.length,
    ttftP50Ms: percentile(ok.map((r) => r.ttftMs), 50),
    ttftP90Ms: percentile(ok.map((r) => r.ttftMs), 90),
    itlMeanMs: itl.length === 0 ? NaN : itl.reduce((s, v) => s + v, 0) / itl.length,
    outputTokPerS: records.length === 0 || last <= first ? 0 : tokens / ((last - first) / 1000),
    prefixHitRate: queries === 0 ? 0 : hits / queries,
    perPod,
    spread: mean === 0 ? NaN : Math.max(...perPod) / mean,
  };
}

/** Counters over a window: after minus before, per simulator. */
export function counterDelta(before: readonly SimCounters[], after: readonly SimCounters[]): SimCounters[] {
  if (before.length !== after.length) {
    throw new Error(`counterDelta: ${before.length} simulators before, ${after.length} after`);
  }
  return after.map((a, i) => ({
    prefixHits: a.prefixHits - before[i].prefixHits,
    prefixQueries: a.prefixQueries - before[i].prefixQueries,
    requests: a.requests - before[i].requests,
  }));
}
