import type { OutputMap } from "@pulumi/pulumi/automation";
import { CostDiff, CostEstimate, diffCost, recordedEstimate } from "../../components/cost";
import { planCost } from "../plan/cost";
import type { StackConfig } from "../plan/stack-file";

// What a previewed change does to the monthly bill. The config being previewed is priced by the
// function `plan` uses; what is deployed is priced by the estimate the last update recorded as its
// `cost` stack output. That output is in the state the preview runs against, so the delta is from
// what is deployed (not from a branch or an earlier plan file), and it reads the same on every backend.

/** The stack output each update records its estimate in (index.ts, components/program.ts). */
export const COST_OUTPUT = "cost";

export interface DeployCost {
  /** The estimate of the config being previewed; absent when the config has problems (`unavailable`). */
  readonly estimate?: CostEstimate;
  readonly unavailable?: string;
  /** The change from the estimate the last update recorded. */
  readonly diff?: CostDiff;
  /** Why there is no delta, when there is none. */
  readonly noDelta?: string;
}

/** The stack's outputs as the Automation API read them, or why they could not be read. */
export type DeployedOutputs = { readonly outputs: OutputMap } | { readonly error: string };

function deployedEstimate(deployed: DeployedOutputs): { estimate: CostEstimate } | { reason: string } {
  if ("error" in deployed) {
    return { reason: `the stack's outputs could not be read (${deployed.error})` };
  }
  if (Object.keys(deployed.outputs).length === 0) {
    return { reason: "nothing is deployed yet (the stack has no outputs)" };
  }
  const recorded = deployed.outputs[COST_OUTPUT];
  if (recorded === undefined) {
    return { reason: `the last update recorded no \`${COST_OUTPUT}\` output (it ran a version without one); the delta shows after the next update` };
  }
  // The output holds { estimate, quotas } (components/program.ts).
  const estimate = recordedEstimate((recorded.value as { estimate?: unknown } | null)?.estimate);
  return estimate === undefined ? { reason: `the \`${COST_OUTPUT}\` output of the last update is not a cost estimate this version reads` } : { estimate };
}

/** The cost of the config being previewed, and its delta from what is deployed. */
export function previewCost(stack: StackConfig, deployed: DeployedOutputs): DeployCost {
  const now = planCost(stack);
  if (!now.ok) {
    return { unavailable: `${stack.file} has config problems: ${now.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}` };
  }
  const estimate = now.cost.estimate;
  const before = deployedEstimate(deployed);
  return "reason" in before ? { estimate, noDelta: before.reason } : { estimate, diff: diffCost(before.estimate, estimate) };
}
