import * as fs from "fs";
import type { ConfigIssue } from "../../components/config";
import { validatePlatformConfig } from "../../components/config";
import {
  COST_CONFIG_KEY,
  costInputOf,
  CostDiff,
  CostEstimate,
  diffCost,
  estimateCost,
  parseCostConfig,
  QuotaGap,
  QuotaNeed,
  quotaNeeds,
  quotaPoolsOf,
} from "../../components/cost";
import type { StackConfig } from "./stack-file";
import type { ResolvedOutputs } from "./run";

/** What `plan` reports about money and capacity. */
export interface PlanCost {
  readonly estimate: CostEstimate;
  readonly quotas: { readonly needs: readonly QuotaNeed[]; readonly gaps: readonly QuotaGap[] };
  /** Set with `plan --compare`: the difference from the earlier summary. */
  readonly diff?: CostDiff & { readonly comparedWith: string };
}

const GIB = 2 ** 30;

/**
 * The cost and quota figures of a planned stack, from the same stack config the program read
 * (validated again: pure and cheap) plus `llm-platform:cost`. Cost config problems come back as
 * config issues, like any other.
 */
export function planCost(stack: StackConfig, outputs: ResolvedOutputs): { ok: true; cost: PlanCost } | { ok: false; issues: ConfigIssue[] } {
  const validation = validatePlatformConfig(stack.values["llm-platform:platform"]);
  if (!validation.ok) {
    // The program already ran on this config; it cannot be invalid here unless a template built it.
    return { ok: false, issues: validation.issues };
  }
  const config = validation.config;
  const parsed = parseCostConfig(stack.values[`llm-platform:${COST_CONFIG_KEY}`], config.models.map((m) => m.name));
  if (!parsed.ok) {
    return parsed;
  }
  const checkpointBytes = Object.fromEntries(outputs.models.map((m) => [m.model, m.weightGiB * GIB]));
  const estimate = estimateCost(costInputOf(config, parsed.config, checkpointBytes));
  const managed = config.cloud.provider === "existing" ? undefined : config.cluster.systemNodes;
  return { ok: true, cost: { estimate, quotas: quotaNeeds(config.cloud.provider, config.cloud.region, quotaPoolsOf(config), managed) } };
}

export class CompareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompareError";
  }
}

/** The cost estimate inside an earlier plan's summary.json. */
export function readEarlierEstimate(file: string): CostEstimate {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new CompareError(`--compare ${file}: cannot read it as JSON (${(err as Error).message})`);
  }
  const estimate = (doc as { cost?: { estimate?: CostEstimate } } | null)?.cost?.estimate;
  if (estimate === undefined || !Array.isArray(estimate.pools) || typeof estimate.monthly?.max?.usd !== "number") {
    throw new CompareError(`--compare ${file}: has no cost.estimate (is it a summary.json written by this version of plan?)`);
  }
  return estimate;
}

/** `cost` with the difference from `earlier` attached. */
export function withComparison(cost: PlanCost, earlier: CostEstimate, file: string): PlanCost {
  return { ...cost, diff: { ...diffCost(earlier, cost.estimate), comparedWith: file } };
}
