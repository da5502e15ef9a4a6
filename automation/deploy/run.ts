import * as path from "path";
import { ConcurrentUpdateError, LocalWorkspace, OutputMap, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { PLATFORM_CONFIG_KEY } from "../../components/config";
import { POLICY_CONFIG_DIR } from "../policy/pack-config";
import { loadStackConfig, StackFileError } from "../plan/stack-file";
import { backendFromEnvironment } from "./backend";
import { DeployedOutputs, previewCost } from "./cost";
import { retryWhileLocked, sleep } from "./retry";
import { DeploySummary, EventCollector, Operation } from "./summary";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface DeployOptions {
  readonly operation: Operation;
  readonly stack: string;
  /** The Pulumi project directory (holds Pulumi.yaml). Default: this repository. */
  readonly workDir?: string;
  /** Directory of the stack files, for the stack's tier. Default: `<workDir>/stacks`. */
  readonly stacksDir?: string;
  /** Run the policy pack on preview and up. Default: true. */
  readonly policies?: boolean;
  /** Policy pack config file. Default: `policies/config/<tier>.json`. */
  readonly policyConfig?: string;
  /** Retries when the stack is locked by another update. Default: 3. */
  readonly retries?: number;
  /** First retry delay in ms, doubling each time up to `maxDelayMs`. Default: 15000. */
  readonly retryDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Directory whose `bin/pulumi` to run. Default: `pulumi` on PATH. */
  readonly pulumiRoot?: string;
  /** Secrets provider for a stack this run creates. Default: $PULUMI_SECRETS_PROVIDER, else the backend's. */
  readonly secretsProvider?: string;
  /** Environment to read the backend from and pass on to the CLI. Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the CLI's progress goes. Default: stdout. */
  readonly onOutput?: (text: string) => void;
  readonly onNotice?: (text: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Variables passed on to the CLI: the backend's, plus switches that keep CI output clean. */
const PASSED_ENV = /^(PULUMI_|AWS_|GOOGLE_|CLOUDSDK_|KUBECONFIG$|HOME$|PATH$)/;

/** The tier of a stack, from its stack file: which policy config applies. */
export function stackTier(stacksDir: string, stack: string): string {
  const config = loadStackConfig(stacksDir, stack);
  const platform = config.values[`llm-platform:${PLATFORM_CONFIG_KEY}`] as { environment?: { tier?: unknown } } | undefined;
  const tier = platform?.environment?.tier;
  if (typeof tier !== "string") {
    throw new StackFileError(`${config.file} has no llm-platform:platform.environment.tier`);
  }
  return tier;
}

/** The CLI's own last words on a failed command (its stderr), else the error's first line. */
function cliError(error: unknown): string {
  const stderr = (error as { commandResult?: { stderr?: unknown } }).commandResult?.stderr;
  const text = typeof stderr === "string" && stderr.trim() !== "" ? stderr : error instanceof Error ? error.message : String(error);
  return text.trim().split("\n").filter((l) => l.trim() !== "").slice(-1)[0] ?? "";
}

function maskSecrets(outputs: OutputMap): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
}

async function runOperation(stack: Stack, operation: Operation, collector: EventCollector, policyArgs: { policyPacks?: string[]; policyPackConfigs?: string[] }, onOutput: (s: string) => void) {
  const common = { onOutput, onEvent: collector.onEvent };
  switch (operation) {
    case "preview":
      await stack.preview({ ...common, ...policyArgs, diff: false });
      return {};
    case "up":
      return maskSecrets((await stack.up({ ...common, ...policyArgs })).outputs);
    case "destroy":
      await stack.destroy(common);
      return {};
    case "refresh":
      await stack.refresh(common);
      return maskSecrets(await stack.outputs());
  }
}

/**
 * Runs one operation on a stack of this project through the Automation API, with the tier's
 * policy pack, lock retries and a summary of what happened. Throws BackendError or
 * StackFileError on bad setup, before the CLI runs.
 */
export async function runDeploy(options: DeployOptions): Promise<DeploySummary> {
  const started = Date.now();
  const env = options.env ?? process.env;
  backendFromEnvironment(env, { loggedIn: env.LLM_PLATFORM_PULUMI_LOGGED_IN === "1" });
  const workDir = options.workDir ?? REPO_ROOT;
  const stacksDir = options.stacksDir ?? path.join(workDir, "stacks");
  const tier = stackTier(stacksDir, options.stack);
  const preview = options.operation === "preview";
  const onOutput = options.onOutput ?? ((s: string) => process.stdout.write(s));
  const usePolicies = (options.policies ?? true) && (options.operation === "preview" || options.operation === "up");
  const policyArgs = usePolicies
    ? { policyPacks: [path.join(REPO_ROOT, "policies")], policyPackConfigs: [options.policyConfig ?? path.join(POLICY_CONFIG_DIR, `${tier}.json`)] }
    : {};

  const pulumiCommand = await PulumiCommand.get(options.pulumiRoot !== undefined ? { root: options.pulumiRoot } : undefined);
  const envVars: Record<string, string> = {
    ...Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => PASSED_ENV.test(e[0]) && e[1] !== undefined)),
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  const secretsProvider = options.secretsProvider ?? env.PULUMI_SECRETS_PROVIDER;
  let collector = new EventCollector();
  // Preview reads what is deployed (its outputs) before it runs, to show the change's cost delta.
  let deployed: DeployedOutputs | undefined;
  const base = { stack: options.stack, operation: options.operation };
  const cost = () => (preview && deployed !== undefined ? { cost: previewCost(loadStackConfig(stacksDir, options.stack), deployed) } : {});
  try {
    const { result: outputs, attempts } = await retryWhileLocked(
      async () => {
        collector = new EventCollector();
        const stack = await LocalWorkspace.createOrSelectStack(
          { stackName: options.stack, workDir },
          { pulumiCommand, envVars, ...(secretsProvider ? { secretsProvider } : {}) },
        );
        if (preview) {
          deployed = await stack.outputs().then(
            (outputs) => ({ outputs }),
            (error: unknown) => ({ error: cliError(error) }),
          );
        }
        return runOperation(stack, options.operation, collector, policyArgs, onOutput);
      },
      (error) => error instanceof ConcurrentUpdateError,
      {
        retries: options.retries ?? 3,
        baseDelayMs: options.retryDelayMs ?? 15_000,
        maxDelayMs: options.maxDelayMs ?? 120_000,
        sleep: options.sleep ?? sleep,
        onRetry: (n, delay) => (options.onNotice ?? ((s) => process.stderr.write(s)))(`deploy: stack ${options.stack} is locked by another update; retry ${n} in ${Math.round(delay / 1000)} s\n`),
      },
    );
    return { ...base, status: "succeeded", changes: collector.changeCounts(), policyViolations: collector.violations, outputs, durationSeconds: (Date.now() - started) / 1000, attempts, ...cost() };
  } catch (error) {
    const attempts = (error as { attempts?: number }).attempts ?? 1;
    const mandatory = collector.violations.some((v) => v.level === "mandatory");
    const status = error instanceof ConcurrentUpdateError ? "locked" : mandatory ? "policy-violation" : "failed";
    return {
      ...base,
      status,
      changes: collector.changeCounts(),
      policyViolations: collector.violations,
      outputs: {},
      durationSeconds: (Date.now() - started) / 1000,
      attempts,
      ...cost(),
      error: error instanceof Error ? error.message : String(error),
    };
  }
}
