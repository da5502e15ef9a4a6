// One measurement in a fresh process, so peak RSS belongs to that measurement alone.
// Usage: child.ts plan <stacksDir> <stack> <outDir> [<dump.json>]
//        child.ts floor <count>            plain resources with two small inputs each
//        child.ts floor-inputs <dump.json> plain resources carrying the plan's own inputs
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { ResourceRecorder, settle } from "../automation/plan/recorder";
import { lightweightStacks, runPlan } from "../automation/plan/run";
import { planFiles, writePlan } from "../automation/plan/write";

class Plain extends pulumi.CustomResource {
  constructor(name: string, props: Record<string, unknown>, type = "bench:index:Plain") {
    super(type, name, props);
  }
}

/** Registers resources with no logic around them, under the plan's runtime settings. */
async function floor(register: () => void): Promise<number> {
  const recorder = new ResourceRecorder();
  await recorder.install("llm-platform", "floor");
  const restore = lightweightStacks();
  register();
  await settle();
  restore();
  return recorder.resources.length;
}

async function measure(): Promise<{ resources: number; after?: () => void }> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === "plan") {
    const [stacksDir, stack, outDir, dump] = args;
    const run = await runPlan(stacksDir, stack);
    if (!run.ok) {
      throw new Error(run.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
    }
    writePlan(outDir, planFiles(run).files);
    // The dump for the floor is written after the clock stops.
    const after = dump === undefined ? undefined : () => fs.writeFileSync(dump, JSON.stringify(run.resources.map(({ type, name, inputs }) => ({ type, name, inputs }))));
    return { resources: run.resources.length, after };
  }
  if (mode === "floor") {
    const count = Number(args[0]);
    const resources = await floor(() => {
      for (let i = 0; i < count; i++) {
        new Plain(`plain-${i}`, { index: i, labels: { "app.kubernetes.io/part-of": "llm-platform" } });
      }
    });
    return { resources };
  }
  if (mode === "floor-inputs") {
    const recorded = JSON.parse(fs.readFileSync(args[0], "utf8")) as { type: string; name: string; inputs: Record<string, unknown> }[];
    const resources = await floor(() => {
      recorded.forEach((r, i) => new Plain(`${r.name}-${i}`, r.inputs, r.type.startsWith("pulumi:providers:") ? "bench:index:Plain" : r.type));
    });
    return { resources };
  }
  throw new Error(`unknown mode ${mode}`);
}

const started = process.hrtime.bigint();
measure().then(
  ({ resources, after }) => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // maxRSS is in KiB on Linux.
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(JSON.stringify({ seconds, resources, peakRssMiB }) + "\n");
    after?.();
  },
  (err: unknown) => {
    process.stderr.write(String(err instanceof Error ? err.stack : err) + "\n");
    process.exit(1);
  },
);
