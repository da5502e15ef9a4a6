import * as fs from "fs";
import type { ConfigIssue } from "../../components/config";
import { PLATFORM_CONFIG_KEY, validatePlatformConfig } from "../../components/config";
import { COST_CONFIG_KEY, CostDiff, CostEstimate, diffCost, recordedEstimate, StackCost, stackCost } from "../../components/cost";
import type { StackConfig } from "./stack-file";

/**
 * What `plan` reports about money and capacity: the program's `cost` output (so a project made
 * from a template, whose stack file has no `llm-platform:platform`, is priced too).
 */
export interface PlanCost extends StackCost {
  /** Set with `plan --compare`: the difference from the earlier summary. */
  readonly diff?: CostDiff & { readonly comparedWith: string };
}

/**
 * The cost and quota figures of a stack file of this project (`llm-platform:platform`, validated
 * again: pure and cheap, and `llm-platform:cost`), through the function behind the program's
 * `cost` output. For `deploy preview`, which prices the config before the CLI runs the program.
 * Config problems come back as config issues, like any other.
 */
export function planCost(stack: StackConfig): { ok: true; cost: StackCost } | { ok: false; issues: ConfigIssue[] } {
  const validation = validatePlatformConfig(stack.values[`llm-platform:${PLATFORM_CONFIG_KEY}`]);
  if (!validation.ok) {
    return { ok: false, issues: validation.issues };
  }
  return stackCost(validation.config, stack.values[`llm-platform:${COST_CONFIG_KEY}`]);
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
  const estimate = recordedEstimate((doc as { cost?: { estimate?: unknown } } | null)?.cost?.estimate);
  if (estimate === undefined) {
    throw new CompareError(`--compare ${file}: has no cost.estimate (is it a summary.json written by this version of plan?)`);
  }
  return estimate;
}

/** `cost` with the difference from `earlier` attached. */
export function withComparison(cost: PlanCost, earlier: CostEstimate, file: string): PlanCost {
  return { ...cost, diff: { ...diffCost(earlier, cost.estimate), comparedWith: file } };
}
