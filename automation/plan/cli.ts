import { Command } from "commander";
import * as path from "path";
import { allPolicies } from "../../policies/all";
import { evaluatePolicies, PolicyConfigError, PolicyReport } from "../policy/evaluate";
import { loadPackConfig } from "../policy/pack-config";
import { renderPolicyReport, renderSummaryText } from "./render";
import { projectAt, runPlan } from "./run";
import { StackFileError } from "./stack-file";
import { CompareError, PlanCost, readEarlierEstimate, withComparison } from "./cost";
import { writePlan, planFiles } from "./write";

/** Exit codes of `plan`. */
export const EXIT = { ok: 0, invalidConfig: 1, usage: 2, mandatoryViolation: 4 } as const;

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name("llm-platform-plan")
    .description("Render a stack offline: resource tree, Kubernetes objects, Helm values, dependency graph, estimates.")
    .argument("<stack>", "stack name: reads <stacks-dir>/Pulumi.<stack>.yaml")
    .option("--stacks-dir <dir>", "where the stack files are (default: stacks, or the --project directory)")
    .option("--project <dir>", "plan a project made from one of the templates (its Pulumi.yaml and index.ts) instead of this one")
    .option("--out <dir>", "output directory (default: out/<stack>)")
    .option("--policy-config <file>", "policy pack config (default: policies/config/<tier>.json)")
    .option("--no-policies", "skip the policy pack")
    .option("--compare <summary.json>", "show the monthly cost delta from an earlier plan's summary.json")
    .option("--quiet", "print nothing but errors")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: "user" });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? EXIT.ok : EXIT.usage;
  }
  const [stack] = program.args;
  const opts = program.opts<{ stacksDir?: string; project?: string; out?: string; quiet?: boolean; policies: boolean; policyConfig?: string; compare?: string }>();
  const outDir = opts.out ?? path.join("out", stack);

  let run;
  try {
    run = opts.project === undefined
      ? await runPlan(opts.stacksDir ?? "stacks", stack)
      : await runPlan(opts.stacksDir ?? opts.project, stack, projectAt(opts.project));
  } catch (err) {
    if (err instanceof StackFileError) {
      process.stderr.write(`plan: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  if (!run.ok) {
    process.stderr.write(
      `plan: stack ${stack} (${run.stack.file}) has ${run.issues.length} config problem(s); nothing was registered:\n` +
        run.issues.map((i) => `  ${i.path}: ${i.message}\n`).join(""),
    );
    return EXIT.invalidConfig;
  }
  // The program priced its own config (invalid cost config stops it, like any config problem).
  let cost: PlanCost = run.outputs.cost;
  if (opts.compare !== undefined) {
    try {
      cost = withComparison(cost, readEarlierEstimate(opts.compare), opts.compare);
    } catch (err) {
      if (err instanceof CompareError) {
        process.stderr.write(`plan: ${err.message}\n`);
        return EXIT.usage;
      }
      throw err;
    }
  }
  let report: PolicyReport | undefined;
  let packFile: string | undefined;
  if (opts.policies) {
    try {
      const pack = loadPackConfig(opts.policyConfig ?? run.outputs.tier);
      packFile = pack.file;
      report = await evaluatePolicies(allPolicies, run.resources, pack.config);
    } catch (err) {
      if (err instanceof PolicyConfigError) {
        process.stderr.write(`plan: ${err.message}\n`);
        return EXIT.usage;
      }
      throw err;
    }
  }
  const { files, summary } = planFiles(run, report, cost);
  writePlan(outDir, files);
  if (!opts.quiet) {
    process.stdout.write(renderSummaryText(summary));
    if (report !== undefined) {
      process.stdout.write(`\n${renderPolicyReport(report, path.relative(process.cwd(), packFile as string))}`);
    }
    process.stdout.write(`\nWrote ${[...files.keys()].sort().map((f) => path.join(outDir, f)).join(", ")}\n`);
  }
  if (report !== undefined && report.mandatoryViolations > 0) {
    process.stderr.write(`plan: ${report.mandatoryViolations} mandatory policy violation(s)\n`);
    return EXIT.mandatoryViolation;
  }
  return EXIT.ok;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`plan: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(3);
    },
  );
}
