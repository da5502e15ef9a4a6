import * as fs from "fs";
import * as path from "path";
import { Command, InvalidArgumentError, Option } from "commander";
import { StackFileError } from "../plan/stack-file";
import { BackendError } from "./backend";
import { runDeploy } from "./run";
import { renderPreflight } from "./preflight";
import { runPreflight } from "./preflight-run";
import { DeployStatus, Operation, renderSummaryMarkdown } from "./summary";

/** Exit codes of `deploy`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, policyViolation: 4, locked: 5, capacityShort: 6 } as const;

const STATUS_EXIT: Record<DeployStatus, number> = { succeeded: EXIT.ok, failed: EXIT.failed, "policy-violation": EXIT.policyViolation, locked: EXIT.locked };

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 20) {
    throw new InvalidArgumentError("must be a whole number from 0 to 20");
  }
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 3600) {
    throw new InvalidArgumentError("must be a number of seconds from 0 to 3600");
  }
  return n;
}

function writeFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, content);
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = new Command()
    .name("llm-platform-deploy")
    .description("Preview, update, destroy or refresh a stack through the Pulumi Automation API, with the tier's policy pack.")
    .addArgument(new Command().createArgument("<operation>", "what to run").choices(["preview", "up", "destroy", "refresh", "preflight"]))
    .argument("<stack>", "stack name (stacks/Pulumi.<stack>.yaml)")
    .option("--json <file>", "write a JSON summary (changes, policy violations, outputs, duration)")
    .option("--summary <file>", "write a Markdown summary for a pull-request comment")
    .option("--stacks-dir <dir>", "where the stack files are (for the tier)")
    .option("--cwd <dir>", "Pulumi project directory (default: this package)")
    .option("--policy-config <file>", "policy pack config (default: policies/config/<tier>.json)")
    .option("--no-policies", "run without the policy pack")
    .addOption(new Option("--retries <n>", "retries while the stack is locked").argParser(count).default(3))
    .addOption(new Option("--retry-delay <seconds>", "first retry delay, doubling each retry").argParser(seconds).default(15))
    .option("--pulumi-root <dir>", "run <dir>/bin/pulumi instead of pulumi on PATH")
    .option("--secrets-provider <provider>", "secrets provider of a stack this run creates (default: the backend's)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: "user" });
  } catch (err) {
    return (err as { exitCode?: number }).exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const [operation, stack] = program.args as [Operation, string];
  const opts = program.opts<{
    json?: string;
    summary?: string;
    stacksDir?: string;
    cwd?: string;
    policyConfig?: string;
    policies: boolean;
    retries: number;
    retryDelay: number;
    pulumiRoot?: string;
    secretsProvider?: string;
  }>();
  if ((operation as string) === "preflight") {
    try {
      const report = await runPreflight(opts.stacksDir ?? "stacks", stack);
      process.stdout.write(renderPreflight(stack, report));
      if (opts.json !== undefined) {
        writeFile(opts.json, `${JSON.stringify(report, null, 2)}\n`);
      }
      return report.ok ? EXIT.ok : EXIT.capacityShort;
    } catch (err) {
      if (err instanceof StackFileError) {
        process.stderr.write(`deploy: ${err.message}\n`);
        return EXIT.usage;
      }
      throw err;
    }
  }
  let summary;
  try {
    summary = await runDeploy({
      operation,
      stack,
      workDir: opts.cwd,
      stacksDir: opts.stacksDir,
      policies: opts.policies,
      policyConfig: opts.policyConfig,
      retries: opts.retries,
      retryDelayMs: opts.retryDelay * 1000,
      pulumiRoot: opts.pulumiRoot,
      secretsProvider: opts.secretsProvider,
      env,
    });
  } catch (err) {
    if (err instanceof BackendError || err instanceof StackFileError) {
      process.stderr.write(`deploy: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  if (opts.json !== undefined) {
    writeFile(opts.json, `${JSON.stringify(summary, null, 2)}\n`);
  }
  if (opts.summary !== undefined) {
    writeFile(opts.summary, renderSummaryMarkdown(summary));
  }
  if (summary.status !== "succeeded") {
    const violations = summary.policyViolations.filter((v) => v.level === "mandatory").length;
    process.stderr.write(
      `deploy: ${operation} of ${stack} ${summary.status === "locked" ? `found the stack locked after ${summary.attempts} attempt(s)` : summary.status === "policy-violation" ? `blocked by ${violations} mandatory policy violation(s)` : "failed"}\n`,
    );
  }
  return STATUS_EXIT[summary.status];
}
