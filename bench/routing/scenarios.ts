import { endpointPickerConfig, EndpointPickerConfig, ScorerWeights } from "../../components/serving/epp-config";
import { eppV1Config } from "../../components/serving/epp-v1-config";
import { modelSchema } from "../../components/config/schema";
import type { SimOptions } from "./stack";
import { Workload, workingSetBlocks } from "./workload";

// What the sweep runs: the simulated servers, the workload, the cache-pressure × load grid and
// the arms. Pure data and the platform's router config as the EPP v1.5.0 reads it.

/** The platform's defaults for a model (scorer weights, block size), read from the config schema. */
export function platformDefaults(): { weights: ScorerWeights; blockSize: number } {
  return { weights: modelSchema.shape.scorerWeights.parse(undefined), blockSize: modelSchema.shape.blockSize.parse(undefined) };
}

/**
 * The platform's llm-d router config for these weights, translated for the EPP v1.5.0.
 * `autoTune` overrides the prefix producer's setting, for comparing a change before making it.
 */
export function routedConfig(weights: ScorerWeights, blockSize: number, autoTune?: boolean): EndpointPickerConfig {
  const config = eppV1Config(endpointPickerConfig({ weights, blockSize, disaggregation: false, flavour: "llm-d" }));
  if (autoTune === undefined) {
    return config;
  }
  return {
    ...config,
    plugins: config.plugins.map((p) => (p.type === "approx-prefix-cache-producer" ? { ...p, parameters: { ...p.parameters, autoTune } } : p)),
  };
}

export interface Arm {
  readonly name: string;
  /** Undefined: the round-robin cluster, no picker. */
  readonly weights?: ScorerWeights;
  /** The prefix producer's autoTune, when it differs from the platform's. */
  readonly autoTune?: boolean;
}

export interface Scenario {
  readonly name: string;
  /** Working set (all groups' prefix blocks) over one simulator's KV blocks. */
  readonly pressure: number;
  readonly load: "low" | "high";
  readonly sim: SimOptions;
  readonly workload: Workload;
}

export const SIMS = 4;

/**
 * The simulated server: a 1k-token prefix costs ~0.4 s of prefill cold and ~0.03 s cached; decode
 * 10 ms a token; at 4 running requests every latency doubles (--time-factor-under-load), beyond
 * that requests wait. Prefill is a per-request delay: nothing is shared between running requests
 * but the slowdown factor.
 */
export function simOptions(kvBlocks: number, blockSize: number): SimOptions {
  return { count: SIMS, kvBlocks, blockSize, maxNumSeqs: 4, prefillOverheadMs: 20, prefillUsPerToken: 400, interTokenMs: 10, loadFactor: 2 };
}

export function workload(load: "low" | "high", requests: number, seed: number): Workload {
  // high: every simulator's 4 slots busy with the load spread evenly; low: half of that.
  return { groups: 24, prefixTokens: 1024, suffixTokens: 48, outputTokens: 32, concurrency: load === "high" ? 16 : 8, requests, seed };
}

/** The sweep's grid: pressures from roomy (every simulator holds every prefix) to 4× a simulator's cache. */
export function scenarios(blockSize: number, pressures: readonly number[], loads: readonly ("low" | "high")[], requests: number): Scenario[] {
  const out: Scenario[] = [];
  for (const pressure of pressures) {
    for (const load of loads) {
      const w = workload(load, requests, 7);
      const kvBlocks = Math.round(workingSetBlocks(w, blockSize) / pressure);
      out.push({ name: `pressure ${pressure}, ${load} load`, pressure, load, sim: simOptions(kvBlocks, blockSize), workload: w });
    }
  }
  return out;
}
