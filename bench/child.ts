// One measurement in a fresh process, so peak RSS belongs to that measurement alone.
// Usage: child.ts plan <stacksDir> <stack> <outDir> | child.ts floor <count>
import * as pulumi from "@pulumi/pulumi";
import { ResourceRecorder, settle } from "../automation/plan/recorder";
import { runPlan } from "../automation/plan/run";
import { planFiles, writePlan } from "../automation/plan/write";

class Plain extends pulumi.CustomResource {
  constructor(name: string, props: Record<string, unknown>) {
    super("bench:index:Plain", name, props);
  }
}

async function measure(): Promise<{ resources: number }> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === "plan") {
    const [stacksDir, stack, outDir] = args;
    const run = await runPlan(stacksDir, stack);
    if (!run.ok) {
      throw new Error(run.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
    }
    writePlan(outDir, planFiles(run).files);
    return { resources: run.resources.length };
  }
  if (mode === "floor") {
    const count = Number(args[0]);
    const recorder = new ResourceRecorder();
    await recorder.install("llm-platform", "floor");
    for (let i = 0; i < count; i++) {
      new Plain(`plain-${i}`, { index: i, labels: { "app.kubernetes.io/part-of": "llm-platform" } });
    }
    await settle();
    return { resources: recorder.resources.length };
  }
  throw new Error(`unknown mode ${mode}`);
}

const started = process.hrtime.bigint();
measure().then(
  ({ resources }) => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // maxRSS is in KiB on Linux.
    process.stdout.write(JSON.stringify({ seconds, resources, peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + "\n");
  },
  (err: unknown) => {
    process.stderr.write(String(err instanceof Error ? err.stack : err) + "\n");
    process.exit(1);
  },
);
