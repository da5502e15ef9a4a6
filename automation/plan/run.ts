import * as fs from "fs";
import { load } from "js-yaml";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigIssue } from "../../components/config";
import { platformProgram, PlatformStackOutputs } from "../../components/program";
import { cloudMockState } from "./cloud-mocks";
import { MockState, RecordedResource, ResourceRecorder, resolved, settle } from "./recorder";
import { loadStackConfig, runtimeConfig, StackConfig, StackFileError } from "./stack-file";

export const PROJECT = "llm-platform";

/**
 * What a registration "returns" in the offline plan. The engine would return the live object;
 * the plan only needs what the program reads back (names and metadata), so large specs and Helm
 * values are not serialized a second time.
 */
export const planState: MockState = (r) => {
  if (!r.custom || r.type.startsWith("pulumi:providers:")) {
    // Remote components (eks:index:Cluster) answer with their outputs.
    return cloudMockState(r);
  }
  if (r.type === "kubernetes:helm.sh/v3:Release") {
    const { name, namespace, chart, version } = r.inputs as Record<string, unknown>;
    return { name, namespace, chart, version };
  }
  if (r.type.startsWith("kubernetes:")) {
    const { apiVersion, kind, metadata } = r.inputs as Record<string, unknown>;
    return { apiVersion, kind, metadata };
  }
  return cloudMockState(r);
};

export type ResolvedOutputs = { [K in keyof PlatformStackOutputs]: pulumi.Unwrap<PlatformStackOutputs[K]> };

export type PlanRun =
  | { ok: true; stack: StackConfig; resources: RecordedResource[]; outputs: ResolvedOutputs; seconds: number }
  | { ok: false; stack: StackConfig; resources: RecordedResource[]; issues: readonly ConfigIssue[] };

/**
 * The runtime captures a stack trace for every promise and resource (for leak reports and source
 * positions the engine would show). Offline nobody reads them, and capturing them, mapped through
 * source maps, was most of the cost of planning a large stack. Until the returned function is
 * called, traces are off; set LLM_PLATFORM_PLAN_STACKS=1 to keep them when debugging a plan.
 */
export function lightweightStacks(): () => void {
  if (process.env.LLM_PLATFORM_PLAN_STACKS === "1") {
    return () => {};
  }
  const sourceMaps = process.sourceMapsEnabled;
  const limit = Error.stackTraceLimit;
  process.setSourceMapsEnabled(false);
  Error.stackTraceLimit = 0;
  return () => {
    process.setSourceMapsEnabled(sourceMaps);
    Error.stackTraceLimit = limit;
  };
}

/** A Pulumi project to plan: its name (for unqualified config keys) and its program. */
export interface PlanProject {
  readonly name: string;
  readonly program: () => PlatformStackOutputs;
}

const THIS_PROJECT: PlanProject = { name: PROJECT, program: () => platformProgram() };

/**
 * A project made from one of the templates: the name in its Pulumi.yaml, and its index.ts, which
 * exports the platform's outputs (`export = templateProgram(…)`).
 */
export function projectAt(dir: string): PlanProject {
  const file = path.join(dir, "Pulumi.yaml");
  if (!fs.existsSync(file)) {
    throw new StackFileError(`no Pulumi.yaml in ${dir}`);
  }
  const settings = load(fs.readFileSync(file, "utf8")) as { name?: unknown } | undefined;
  if (typeof settings?.name !== "string") {
    throw new StackFileError(`${file} has no project name`);
  }
  const entry = path.resolve(dir, "index.ts");
  // Loaded once the mocks are in place: the program registers its resources as it is imported.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program runs as it is imported, so it is loaded only now
  return { name: settings.name, program: () => require(entry) as PlatformStackOutputs };
}

/**
 * Runs the real program for a stack under Pulumi's mock runtime: no engine, no cloud, no cluster.
 * Returns every registration and the stack outputs, or the config problems that stopped it (in
 * which case nothing was registered).
 */
export async function runPlan(stacksDir: string, stackName: string, project: PlanProject = THIS_PROJECT): Promise<PlanRun> {
  const started = process.hrtime.bigint();
  const stack = loadStackConfig(stacksDir, stackName, project.name);
  if (stack.issues.length > 0) {
    return { ok: false, stack, resources: [], issues: stack.issues };
  }
  const recorder = new ResourceRecorder(planState);
  await recorder.install(project.name, stackName);
  pulumi.runtime.setAllConfig(runtimeConfig(stack), stack.secretKeys);

  let outputs: PlatformStackOutputs;
  let entries: (readonly [string, unknown])[];
  const restore = lightweightStacks();
  try {
    try {
      outputs = project.program();
    } catch (err) {
      await settle();
      if (err instanceof ConfigError) {
        return { ok: false, stack, resources: recorder.resources, issues: err.issues };
      }
      throw err;
    }
    entries = await Promise.all(Object.entries(outputs).map(async ([k, v]) => [k, await resolved(v)] as const));
    await settle();
  } finally {
    restore();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { ok: true, stack, resources: recorder.resources, outputs: Object.fromEntries(entries) as ResolvedOutputs, seconds };
}
