import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backendFromEnvironment, BackendError } from "../automation/deploy/backend";
import { EXIT, main } from "../automation/deploy/cli";
import { COST_OUTPUT, DeployCost, previewCost } from "../automation/deploy/cost";
import { planCost } from "../automation/plan/cost";
import { loadStackConfig, StackConfig } from "../automation/plan/stack-file";
import type { CostEstimate } from "../components/cost";
import { backoffDelay, retryWhileLocked } from "../automation/deploy/retry";
import { REPO_ROOT, runDeploy } from "../automation/deploy/run";
import { DeploySummary, renderCostMarkdown, renderSummaryMarkdown } from "../automation/deploy/summary";

const STACKS = path.join(REPO_ROOT, "stacks");

/** The prod stack file with its h100 pool's maxNodes set to `max`. */
function prodWithMax(max: number): StackConfig {
  const prod = loadStackConfig(STACKS, "prod");
  const platform = prod.values["llm-platform:platform"] as { gpuPools: { maxNodes: number }[] };
  return { ...prod, values: { ...prod.values, "llm-platform:platform": { ...platform, gpuPools: [{ ...platform.gpuPools[0], maxNodes: max }] } } };
}

function estimateOf(stack: StackConfig): CostEstimate {
  const cost = planCost(stack);
  assert.ok(cost.ok, "the stack prices");
  return cost.cost.estimate;
}

/** Stack outputs as `pulumi stack output --json` prints them, with the estimate an update recorded. */
const outputsWith = (estimate: unknown) => ({ environment: "prod", tier: "prod", kubeconfig: "[secret]", [COST_OUTPUT]: { estimate, quotas: { needs: [], gaps: [] } } });
const outputMap = (outputs: Record<string, unknown>) => ({ outputs: Object.fromEntries(Object.entries(outputs).map(([k, value]) => [k, { value, secret: false }])) });

const FAKE_ROOT = path.join(__dirname, "fixtures", "fake-pulumi");

interface Call {
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** A scratch directory, a file backend and a call log for one run of the fake CLI. */
function setup(scenario: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-test-"));
  const logFile = path.join(dir, "calls.jsonl");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    PULUMI_BACKEND_URL: `file://${dir}/state`,
    PULUMI_CONFIG_PASSPHRASE: "test-passphrase",
    FAKE_PULUMI_LOG: logFile,
    FAKE_PULUMI_SCENARIO: scenario,
    FAKE_PULUMI_STATE: path.join(dir, "state.txt"),
  };
  // The SDK starts the CLI with this process's environment plus the run's variables.
  Object.assign(process.env, { FAKE_PULUMI_LOG: logFile, FAKE_PULUMI_SCENARIO: scenario, FAKE_PULUMI_STATE: env.FAKE_PULUMI_STATE });
  const calls = (): Call[] => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Call) : []);
  return { dir, env, calls };
}

const operationCalls = (calls: Call[]) => calls.filter((c) => ["preview", "up", "destroy", "refresh"].includes(c.args[0]));
const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];

async function quietMain(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  let stderr = "";
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv, env), stderr };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

describe("deploy command (against a recording fake pulumi)", function () {
  this.timeout(60_000);
  after(() => {
    for (const key of ["FAKE_PULUMI_LOG", "FAKE_PULUMI_SCENARIO", "FAKE_PULUMI_STATE"]) {
      delete process.env[key];
    }
  });

  it("previews with the tier's policy pack, the backend's environment and the project directory", async () => {
    const { env, calls } = setup("ok");
    let output = "";
    const summary = await runDeploy({ operation: "preview", stack: "dev", pulumiRoot: FAKE_ROOT, env, onOutput: (s) => (output += s) });
    assert.strictEqual(summary.status, "succeeded");
    assert.deepStrictEqual(summary.changes, { create: 3, same: 1 });
    assert.match(output, /Resources: 3 to create, 1 unchanged/);
    const [preview] = operationCalls(calls());
    assert.strictEqual(preview.cwd, REPO_ROOT);
    assert.strictEqual(flag(preview.args, "--policy-pack"), path.join(REPO_ROOT, "policies"));
    assert.strictEqual(flag(preview.args, "--policy-pack-config"), path.join(REPO_ROOT, "policies", "config", "dev.json"));
    assert.strictEqual(flag(preview.args, "--stack"), "dev");
    assert.ok(preview.args.includes("--event-log"));
    assert.deepStrictEqual(
      [preview.env.PULUMI_BACKEND_URL, preview.env.PULUMI_CONFIG_PASSPHRASE, preview.env.PULUMI_SKIP_UPDATE_CHECK],
      [env.PULUMI_BACKEND_URL, "test-passphrase", "true"],
    );
    assert.deepStrictEqual(calls().filter((c) => c.args[0] === "stack").map((c) => c.args.slice(0, 2))[0], ["stack", "select"]);
  });

  it("up uses the prod pack config for a prod stack and returns the stack outputs; destroy runs without the pack", async () => {
    const { env, calls } = setup("ok");
    const up = await runDeploy({ operation: "up", stack: "prod", pulumiRoot: FAKE_ROOT, env, onOutput: () => {} });
    assert.strictEqual(up.status, "succeeded");
    assert.strictEqual(up.outputs.environment, "dev");
    const [upCall] = operationCalls(calls());
    assert.deepStrictEqual(upCall.args.slice(0, 3), ["up", "--yes", "--skip-preview"]);
    assert.strictEqual(flag(upCall.args, "--policy-pack-config"), path.join(REPO_ROOT, "policies", "config", "prod.json"));
    await runDeploy({ operation: "destroy", stack: "prod", pulumiRoot: FAKE_ROOT, env, onOutput: () => {} });
    const destroy = operationCalls(calls())[1];
    assert.strictEqual(destroy.args[0], "destroy");
    assert.ok(!destroy.args.includes("--policy-pack"));
  });

  it("a mandatory policy violation exits 4 with the violation in the JSON and Markdown summaries", async () => {
    const { dir, env } = setup("policy");
    const json = path.join(dir, "out", "summary.json");
    const markdown = path.join(dir, "out", "summary.md");
    const { code, stderr } = await quietMain(["preview", "dev", "--pulumi-root", FAKE_ROOT, "--json", json, "--summary", markdown], env);
    assert.strictEqual(code, EXIT.policyViolation);
    assert.match(stderr, /blocked by 1 mandatory policy violation/);
    const summary = JSON.parse(fs.readFileSync(json, "utf8")) as DeploySummary;
    assert.strictEqual(summary.status, "policy-violation");
    assert.deepStrictEqual(summary.policyViolations[0], {
      policy: "spot-gpu-in-prod",
      pack: "llm-platform",
      level: "mandatory",
      message: "GPU pool h100 runs on spot capacity.\nPrefer on-demand.",
      urn: "urn:pulumi:dev::llm-platform::llm-platform:index:LlmPlatform::dev",
    });
    assert.match(fs.readFileSync(markdown, "utf8"), /\| `spot-gpu-in-prod` \| mandatory \| GPU pool h100 runs on spot capacity\. Prefer on-demand\. \|/);
  });

  it("retries a locked stack with backoff, then exits 5", async () => {
    const { env, calls } = setup("locked");
    const delays: number[] = [];
    const summary = await runDeploy({
      operation: "up", stack: "dev", pulumiRoot: FAKE_ROOT, env, retries: 2, retryDelayMs: 1000, onOutput: () => {}, onNotice: () => {},
      sleep: async (ms) => void delays.push(ms),
    });
    assert.strictEqual(summary.status, "locked");
    assert.strictEqual(summary.attempts, 3);
    assert.deepStrictEqual(delays, [1000, 2000]);
    assert.strictEqual(operationCalls(calls()).length, 3);
    const { code } = await quietMain(["up", "dev", "--pulumi-root", FAKE_ROOT, "--retries", "0"], env);
    assert.strictEqual(code, EXIT.locked);
  });

  it("creates a missing stack with the secrets provider named in the environment", async () => {
    const { env, calls } = setup("ok");
    Object.assign(process.env, { FAKE_PULUMI_NO_STACK: "1" });
    try {
      await runDeploy({ operation: "preview", stack: "dev", pulumiRoot: FAKE_ROOT, env: { ...env, PULUMI_SECRETS_PROVIDER: "awskms://alias/llm-platform" }, onOutput: () => {} });
    } finally {
      delete process.env.FAKE_PULUMI_NO_STACK;
    }
    const init = calls().find((c) => c.args[0] === "stack" && c.args[1] === "init");
    assert.deepStrictEqual(init?.args.slice(0, 5), ["stack", "init", "dev", "--secrets-provider", "awskms://alias/llm-platform"]);
  });

  it("succeeds when the lock clears between attempts", async () => {
    const { env } = setup("locked-once");
    const summary = await runDeploy({ operation: "up", stack: "dev", pulumiRoot: FAKE_ROOT, env, onOutput: () => {}, onNotice: () => {}, sleep: async () => {} });
    assert.deepStrictEqual([summary.status, summary.attempts], ["succeeded", 2]);
  });

  it("a failed operation exits 1 with the CLI's error in the summary", async () => {
    const { dir, env } = setup("fail");
    const json = path.join(dir, "s.json");
    const { code } = await quietMain(["refresh", "dev", "--pulumi-root", FAKE_ROOT, "--json", json], env);
    assert.strictEqual(code, EXIT.failed);
    assert.match((JSON.parse(fs.readFileSync(json, "utf8")) as DeploySummary).error ?? "", /boom/);
  });

  it("refuses a file backend without a passphrase and unknown stacks before running the CLI (exit 2)", async () => {
    const { env, calls } = setup("ok");
    const noPassphrase = { ...env, PULUMI_CONFIG_PASSPHRASE: undefined };
    const first = await quietMain(["preview", "dev", "--pulumi-root", FAKE_ROOT], noPassphrase);
    assert.deepStrictEqual([first.code, /PULUMI_CONFIG_PASSPHRASE/.test(first.stderr)], [EXIT.usage, true]);
    const second = await quietMain(["preview", "nope", "--pulumi-root", FAKE_ROOT], env);
    assert.deepStrictEqual([second.code, /no stack file/.test(second.stderr)], [EXIT.usage, true]);
    assert.strictEqual((await quietMain(["deploy", "dev"], env)).code, EXIT.usage);
    assert.strictEqual((await quietMain(["up", "dev", "--retries", "x"], env)).code, EXIT.usage);
    assert.deepStrictEqual(calls(), []);
  });
});

describe("deploy preview: the cost of a change", function () {
  this.timeout(60_000);
  after(() => delete process.env.FAKE_PULUMI_OUTPUTS);

  it("the summaries show the monthly delta from the estimate the last update recorded, and the totals at min/desired/max", async () => {
    const { dir, env, calls } = setup("ok");
    const outputsFile = path.join(dir, "outputs.json");
    // 3, not fewer: prod's autoscaled models need 24 GPUs at their maximum.
    fs.writeFileSync(outputsFile, JSON.stringify(outputsWith(estimateOf(prodWithMax(3)))));
    process.env.FAKE_PULUMI_OUTPUTS = outputsFile;
    const json = path.join(dir, "summary.json");
    const markdown = path.join(dir, "summary.md");
    const { code, stderr } = await quietMain(["preview", "prod", "--pulumi-root", FAKE_ROOT, "--json", json, "--summary", markdown], env);
    assert.strictEqual(code, EXIT.ok, stderr);
    assert.ok(calls().some((c) => c.args[0] === "stack" && c.args[1] === "output"), "the deployed outputs were read");
    const md = fs.readFileSync(markdown, "utf8");
    // p5.48xlarge at $55.04/hour × 730 h × 1 more node. prod's Karpenter pool has no minimum and
    // reaches the sum of its steps: reservation 2 + on-demand (the pool's maxNodes) + spot 2.
    assert.match(md, /#### Cost\n\n\*\*\+\$40,179\/month at max scale: pool h100 max 7 → 8 \(known prices only: some parts are unknown on either side\)\*\*\n/);
    assert.match(md, /\n- at min: \+\$0\/month \(\$99 → \$99\)/);
    assert.match(md, /\n- at max: \+\$40,179\/month \(\$281,\d{3} → \$321,\d{3}\)/);
    assert.match(md, /\| at max \| ≥ \$321,532 \(unknown: system nodes, load balancer, snapshot storage\) \|/);
    const summary = JSON.parse(fs.readFileSync(json, "utf8")) as DeploySummary;
    assert.deepStrictEqual(summary.cost?.diff?.changes, ["pool h100 max 7 → 8"]);
    assert.strictEqual(summary.cost?.estimate?.pools[0].max.nodes, 8);
  });

  it("says why there is no delta: nothing deployed, no cost output, an output it cannot read, outputs that cannot be read", async () => {
    const { dir, env } = setup("ok");
    const outputsFile = path.join(dir, "outputs.json");
    process.env.FAKE_PULUMI_OUTPUTS = outputsFile;
    const markdown = path.join(dir, "summary.md");
    const cases: [unknown, RegExp][] = [
      [{}, /No delta: nothing is deployed yet \(the stack has no outputs\)\./],
      [{ environment: "prod" }, /No delta: the last update recorded no `cost` output/],
      [outputsWith({ pools: "x" }), /No delta: the `cost` output of the last update is not a cost estimate this version reads\./],
    ];
    for (const [outputs, expected] of cases) {
      fs.writeFileSync(outputsFile, JSON.stringify(outputs));
      assert.strictEqual((await quietMain(["preview", "prod", "--pulumi-root", FAKE_ROOT, "--summary", markdown], env)).code, EXIT.ok);
      const md = fs.readFileSync(markdown, "utf8");
      assert.match(md, expected);
      assert.match(md, /\| at min \| ≥ \$98\.55 \(unknown: system nodes, load balancer, snapshot storage\) \|/);
    }
    process.env.FAKE_PULUMI_OUTPUTS = "fail";
    const failed = await runDeploy({ operation: "preview", stack: "prod", pulumiRoot: FAKE_ROOT, env, onOutput: () => {} });
    assert.strictEqual(failed.status, "succeeded");
    assert.match(failed.cost?.noDelta ?? "", /^the stack's outputs could not be read \(.*could not decrypt the stack's secrets/);
  });

  it("only preview reads the deployed outputs and prices the change", async () => {
    const { env, calls } = setup("ok");
    const up = await runDeploy({ operation: "up", stack: "prod", pulumiRoot: FAKE_ROOT, env, onOutput: () => {} });
    assert.strictEqual(up.cost, undefined);
    assert.ok(!renderSummaryMarkdown(up).includes("#### Cost"));
    // up reads its outputs only after the update; a preview reads them before it runs.
    const commands = (from: number) =>
      calls().slice(from).map((c) => (c.args[0] === "stack" ? `stack ${c.args[1]}` : c.args[0])).filter((c) => c !== "version" && c !== "stack select");
    assert.strictEqual(commands(0)[0], "up");
    const before = calls().length;
    await runDeploy({ operation: "preview", stack: "prod", pulumiRoot: FAKE_ROOT, env, onOutput: () => {} });
    assert.deepStrictEqual([...new Set(commands(before))], ["stack output", "preview"]);
  });

  it("prices the previewed config with the function plan uses, and names its config problems", () => {
    const deployed = outputMap(outputsWith(estimateOf(prodWithMax(6))));
    const cost = previewCost(prodWithMax(4), deployed);
    assert.deepStrictEqual(cost.estimate, estimateOf(loadStackConfig(STACKS, "prod")));
    assert.deepStrictEqual(cost.diff?.changes, ["pool h100 max 10 → 8"]);
    assert.strictEqual(Math.round((cost.diff?.deltas.find((d) => d.at === "max")?.usd ?? 0) * 100), -2 * 5504 * 730);
    const prod = loadStackConfig(STACKS, "prod");
    const bad = previewCost({ ...prod, values: { ...prod.values, "llm-platform:cost": { throughput: { nope: { outputTokensPerSecond: 1 } } } } }, deployed);
    assert.deepStrictEqual([bad.estimate, bad.diff], [undefined, undefined]);
    assert.match(bad.unavailable ?? "", /Pulumi\.prod\.yaml has config problems: llm-platform:cost\.throughput\.nope: names no model of the stack/);
    assert.match(renderCostMarkdown(bad).join("\n"), /#### Cost\n\nNo estimate: .*names no model of the stack/);
  });

  it("renders unknown totals as unknown, never as $0, and a decrease with its sign", () => {
    const unpriced: CostEstimate = {
      cloud: "aws",
      region: "eu-west-1",
      hoursPerMonth: 730,
      pools: [],
      models: [],
      fixed: [],
      monthly: { min: { usd: 0, unknownParts: ["pool a"] }, desired: { usd: 0, unknownParts: ["pool a"] }, max: { usd: 0, unknownParts: ["pool a"] } },
    };
    const md = renderCostMarkdown({ estimate: unpriced, noDelta: "nothing is deployed yet (the stack has no outputs)" }).join("\n");
    assert.match(md, /\| per month \(aws eu-west-1, 730 h\) \| this config \|/);
    assert.match(md, /\| at desired \| unknown \(unknown: pool a\) \|/);
    assert.ok(!md.includes("$0"));
    const lower: DeployCost = previewCost(prodWithMax(3), outputMap(outputsWith(estimateOf(prodWithMax(4)))));
    assert.match(renderCostMarkdown(lower).join("\n"), /\*\*-\$40,179\/month at max scale: pool h100 max 8 → 7 /);
  });
});

describe("deploy building blocks", () => {
  it("reads the backend from the environment", () => {
    assert.deepStrictEqual(backendFromEnvironment({ PULUMI_ACCESS_TOKEN: "pul-x" }), { kind: "pulumi-cloud", url: "https://api.pulumi.com" });
    assert.deepStrictEqual(backendFromEnvironment({ PULUMI_BACKEND_URL: "file:///state", PULUMI_CONFIG_PASSPHRASE_FILE: "/p" }), { kind: "file", url: "file:///state" });
    assert.throws(() => backendFromEnvironment({}), BackendError);
    assert.throws(() => backendFromEnvironment({ PULUMI_BACKEND_URL: "ftp://x" }), /not a backend URL/);
  });

  it("backs off exponentially up to a ceiling and stops on other errors", async () => {
    assert.deepStrictEqual([1, 2, 3, 4].map((n) => backoffDelay(n, 10, 50)), [10, 20, 40, 50]);
    let tries = 0;
    await assert.rejects(
      retryWhileLocked(async () => { tries++; throw new Error("other"); }, () => false, { retries: 5, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} }),
      /other/,
    );
    assert.strictEqual(tries, 1);
  });

  it("renders a summary without violations and with outputs", () => {
    const md = renderSummaryMarkdown({ stack: "dev", operation: "up", status: "succeeded", changes: { same: 4, create: 1 }, policyViolations: [], outputs: { tier: "dev" }, durationSeconds: 12.34, attempts: 1 });
    assert.match(md, /^### llm-platform `up` of stack `dev`: ✅ succeeded\n\n\*\*Changes:\*\* 1 to create, 4 to same · \*\*Duration:\*\* 12\.3 s\n\nNo policy violations\./);
    assert.match(md, /"tier": "dev"/);
  });
});
