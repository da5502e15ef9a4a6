// Benchmark of the offline plan: wall time and peak RSS for 1, 10, 100 and 500 models, each beside
// the floor of registering as many plain resources through the same mock runtime. Writes
// bench/results/plan.md (gathered into bench/RESULTS.md by bench/report.ts). Run with `npm run bench`.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cpuDescription, gitCommit } from "./machine";
import { benchStackYaml } from "./stack";

const SIZES = [1, 10, 100, 500];
const REPEATS = 3;
const TARGET = { seconds: 10, rssMiB: 1024, overFloor: 2 };

interface Sample {
  /** From spawn to exit, as a user running `plan` waits. */
  wallSeconds: number;
  /** Inside the process, from before the program runs to the files written. */
  seconds: number;
  resources: number;
  peakRssMiB: number;
}

function child(args: string[]): Sample {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["--require", "tsx/cjs", path.join(__dirname, "child.ts"), ...args], {
    encoding: "utf8",
    cwd: path.resolve(__dirname, ".."),
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    throw new Error(`bench child ${args.join(" ")} failed:\n${result.stderr}`);
  }
  return { wallSeconds, ...(JSON.parse(result.stdout.trim().split("\n").pop() as string) as Omit<Sample, "wallSeconds">) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function medianSample(samples: Sample[]): Sample {
  return {
    wallSeconds: median(samples.map((s) => s.wallSeconds)),
    seconds: median(samples.map((s) => s.seconds)),
    resources: samples[0].resources,
    peakRssMiB: Math.max(...samples.map((s) => s.peakRssMiB)),
  };
}

function main(): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-bench-"));
  const stacksDir = path.join(work, "stacks");
  fs.mkdirSync(stacksDir);
  const rows: { models: number; plan: Sample; floor: Sample; small: Sample }[] = [];
  for (const models of SIZES) {
    const stack = `bench-${models}`;
    const dump = path.join(work, `${stack}.resources.json`);
    fs.writeFileSync(path.join(stacksDir, `Pulumi.${stack}.yaml`), benchStackYaml(models));
    const plan = medianSample(Array.from({ length: REPEATS }, () => child(["plan", stacksDir, stack, path.join(work, "out", stack), dump])));
    const floor = medianSample(Array.from({ length: REPEATS }, () => child(["floor-inputs", dump])));
    const small = medianSample(Array.from({ length: REPEATS }, () => child(["floor", String(plan.resources)])));
    rows.push({ models, plan, floor, small });
    process.stdout.write(
      `${models} models: plan ${plan.wallSeconds.toFixed(2)} s wall (${plan.seconds.toFixed(2)} s in-process), ${plan.peakRssMiB.toFixed(0)} MiB; ` +
        `floor ${floor.wallSeconds.toFixed(2)} s, ${floor.peakRssMiB.toFixed(0)} MiB; small-input floor ${small.wallSeconds.toFixed(2)} s (${plan.resources} resources)\n`,
    );
  }
  fs.rmSync(work, { recursive: true, force: true });

  const last = rows[rows.length - 1];
  const hundred = rows.find((r) => r.models === 100) as (typeof rows)[number];
  const perModelSmall = (hundred.plan.seconds - rows[0].plan.seconds) / (hundred.models - rows[0].models);
  const perModelLarge = (last.plan.seconds - hundred.plan.seconds) / (last.models - hundred.models);
  const ratio = last.plan.wallSeconds / last.floor.wallSeconds;
  const checks = [
    [`500 models under ${TARGET.seconds} s wall`, last.plan.wallSeconds < TARGET.seconds, `${last.plan.wallSeconds.toFixed(2)} s`],
    [`500 models under ${TARGET.rssMiB} MiB peak RSS`, last.plan.peakRssMiB < TARGET.rssMiB, `${last.plan.peakRssMiB.toFixed(0)} MiB`],
    [`at most ${TARGET.overFloor}× the floor at 500 models (wall)`, ratio <= TARGET.overFloor, `${ratio.toFixed(2)}×`],
    [
      "cost per model linear (marginal in-process ms/model, 100→500 within 2× of 1→100)",
      perModelLarge <= 2 * Math.max(perModelSmall, 1e-4),
      `${(perModelSmall * 1000).toFixed(2)} ms then ${(perModelLarge * 1000).toFixed(2)} ms`,
    ],
  ] as const;

  const node = process.version;
  const pulumiVersion = (JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;
  const commit = gitCommit();
  const md = [
    "## Offline plan",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} at commit ${commit} by \`npm run bench\` on ${cpuDescription()}, ` +
      `${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${node}, @pulumi/pulumi ${pulumiVersion}. Median of ${REPEATS} runs per row ` +
      "(peak RSS: the highest); every run is a fresh process.",
    "",
    "- **plan**: `runPlan` + rendering + writing `out/` for a stack of N models (bench/stack.ts) under the mock runtime.",
    "- **floor**: the same mock runtime, recorder and runtime settings registering the same resources (type, name, inputs) as plain",
    "  custom resources: no config, no components, no rendering. The target compares against this floor.",
    "- **small-input floor**: as many plain resources with two small inputs each, for scale: it shows what the inputs themselves cost.",
    "- **wall**: spawn to exit, including Node and TypeScript start-up; **in-process**: program start to files written.",
    "",
    "| models | resources | plan wall (s) | plan in-process (s) | plan peak RSS (MiB) | floor wall (s) | floor in-process (s) | floor peak RSS (MiB) | plan / floor (wall) | small-input floor wall (s) | plan / small-input floor (wall) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.models} | ${r.plan.resources} | ${r.plan.wallSeconds.toFixed(2)} | ${r.plan.seconds.toFixed(3)} | ${r.plan.peakRssMiB.toFixed(0)} | ` +
        `${r.floor.wallSeconds.toFixed(2)} | ${r.floor.seconds.toFixed(3)} | ${r.floor.peakRssMiB.toFixed(0)} | ${(r.plan.wallSeconds / r.floor.wallSeconds).toFixed(2)} | ` +
        `${r.small.wallSeconds.toFixed(2)} | ${(r.plan.wallSeconds / r.small.wallSeconds).toFixed(2)} |`,
    ),
    "",
    "### Targets",
    "",
    "| target | met | measured |",
    "| --- | --- | --- |",
    ...checks.map(([name, ok, measured]) => `| ${name} | ${ok ? "yes" : "**no**"} | ${measured} |`),
    "",
  ].join("\n");
  fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
  fs.writeFileSync(path.join(__dirname, "results", "plan.md"), md);
  process.stdout.write(`\nWrote bench/results/plan.md\n`);
  if (checks.some(([, ok]) => !ok)) {
    process.stdout.write("Some targets were missed.\n");
    process.exitCode = 1;
  }
}

main();
