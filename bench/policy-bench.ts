// Benchmark of the policy pack: evaluating every policy over a recorded 500-model platform, the
// way `plan` does. Writes bench/results/policy.md (gathered into bench/RESULTS.md by report.ts).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { allPolicies } from "../policies/all";
import { evaluatePolicies } from "../automation/policy/evaluate";
import { loadPackConfig } from "../automation/policy/pack-config";
import { runPlan } from "../automation/plan/run";
import { cpuDescription, gitCommit } from "./machine";
import { benchStackYaml } from "./stack";

const MODELS = 500;
const RUNS = 7;
const TARGET_SECONDS = 2;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-policy-bench-"));
  fs.writeFileSync(path.join(dir, `Pulumi.bench-${MODELS}.yaml`), benchStackYaml(MODELS));
  const run = await runPlan(dir, `bench-${MODELS}`);
  fs.rmSync(dir, { recursive: true, force: true });
  if (!run.ok) {
    throw new Error(run.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  }
  const pack = loadPackConfig("staging").config;
  const seconds: number[] = [];
  let violations = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const report = await evaluatePolicies(allPolicies, run.resources, pack);
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    violations = report.violations.length;
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const commit = gitCommit();
  const md = [
    "## Policy pack",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} at commit ${commit} by \`npm run bench\` on ${cpuDescription()}, Node ${process.version}.`,
    `All ${allPolicies.length} policies with the staging pack config over the ${run.resources.length} resources a ${MODELS}-model platform registers`,
    `(bench/stack.ts), evaluated in-process as \`plan\` does; ${RUNS} runs, each over every resource.`,
    "",
    "| models | resources | policies | median (s) | min (s) | max (s) | violations reported |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    `| ${MODELS} | ${run.resources.length} | ${allPolicies.length} | ${median.toFixed(3)} | ${sorted[0].toFixed(3)} | ${sorted[sorted.length - 1].toFixed(3)} | ${violations} |`,
    "",
    `Target: under ${TARGET_SECONDS} s — ${median < TARGET_SECONDS ? "met" : "**missed**"}.`,
    "",
  ].join("\n");
  fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
  fs.writeFileSync(path.join(__dirname, "results", "policy.md"), md);
  process.stdout.write(`${md}\nWrote bench/results/policy.md\n`);
  if (median >= TARGET_SECONDS) {
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
