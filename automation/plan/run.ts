import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigIssue } from "../../components/config";
import { platformProgram, PlatformStackOutputs } from "../../components/program";
import { RecordedResource, ResourceRecorder, resolved, settle } from "./recorder";
import { loadStackConfig, runtimeConfig, StackConfig } from "./stack-file";

export const PROJECT = "llm-platform";

export type ResolvedOutputs = { [K in keyof PlatformStackOutputs]: pulumi.Unwrap<PlatformStackOutputs[K]> };

export type PlanRun =
  | { ok: true; stack: StackConfig; resources: RecordedResource[]; outputs: ResolvedOutputs; seconds: number }
  | { ok: false; stack: StackConfig; resources: RecordedResource[]; issues: readonly ConfigIssue[] };

/**
 * Runs the real program for a stack under Pulumi's mock runtime: no engine, no cloud, no cluster.
 * Returns every registration and the stack outputs, or the config problems that stopped it (in
 * which case nothing was registered).
 */
export async function runPlan(stacksDir: string, stackName: string): Promise<PlanRun> {
  const started = process.hrtime.bigint();
  const stack = loadStackConfig(stacksDir, stackName, PROJECT);
  const recorder = new ResourceRecorder();
  await recorder.install(PROJECT, stackName);
  pulumi.runtime.setAllConfig(runtimeConfig(stack), stack.secretKeys);

  let outputs: PlatformStackOutputs;
  try {
    outputs = platformProgram();
  } catch (err) {
    await settle();
    if (err instanceof ConfigError) {
      return { ok: false, stack, resources: recorder.resources, issues: err.issues };
    }
    throw err;
  }
  const entries = await Promise.all(Object.entries(outputs).map(async ([k, v]) => [k, await resolved(v)] as const));
  await settle();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { ok: true, stack, resources: recorder.resources, outputs: Object.fromEntries(entries) as ResolvedOutputs, seconds };
}
