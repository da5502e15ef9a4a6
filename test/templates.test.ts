import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { load } from "js-yaml";
import { ConfigError } from "../components/config";
import { platformFromTemplate } from "../components/template";
import { kubernetesObjects } from "../automation/plan/render";
import { main as planMain } from "../automation/plan/cli";
import { projectAt, runPlan } from "../automation/plan/run";
import { instantiate, planTemplate, TEMPLATES, TemplateFile } from "./template-project";

const REPO = path.resolve(__dirname, "..");

describe("pulumi new templates", function () {
  this.timeout(60_000);

  it("every template has a description and a described prompt for each value", () => {
    for (const template of fs.readdirSync(TEMPLATES)) {
      const settings = load(fs.readFileSync(path.join(TEMPLATES, template, "Pulumi.yaml"), "utf8")) as TemplateFile;
      assert.strictEqual(settings.name, "${PROJECT}");
      assert.ok(settings.template.description.length > 20, template);
      for (const [key, prompt] of Object.entries(settings.template.config)) {
        assert.match(key, /^llm-platform:[a-zA-Z]+$/, key);
        assert.ok(prompt.description.length > 5, `${template} ${key}`);
      }
      assert.match(fs.readFileSync(path.join(TEMPLATES, template, "index.ts"), "utf8"), /export = templateProgram\("(aws|gcp|model)"\);/);
    }
  });

  it("a new AWS environment plans: EKS cluster, one GPU node group, the starter model", async () => {
    const run = await planTemplate("aws-environment", "dev", { "llm-platform:environment": "team-a", "llm-platform:apiCidrs": "203.0.113.0/24", "llm-platform:snapshotBucket": "acme-team-a-snapshots" });
    assert.ok(run.ok);
    assert.strictEqual(run.resources.filter((r) => r.type === "eks:index:Cluster").length, 1);
    assert.deepStrictEqual(run.resources.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup").map((r) => r.name).sort(), ["team-a-cluster-gpu-gpu", "team-a-cluster-system"]);
    assert.deepStrictEqual(run.outputs.endpoints.map((e) => e.model), ["qwen3-8b"]);
  });

  it("plan --project prices a project made from a template, whose stack file has no llm-platform:platform", async () => {
    const dir = instantiate("gcp-environment", "dev", { "llm-platform:environment": "team-c", "llm-platform:project": "acme-team-c", "llm-platform:apiPrivateCidrs": "10.100.0.0/16" });
    const out = path.join(dir, "out");
    const err: string[] = [];
    const [o, e] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await planMain(["dev", "--project", dir, "--out", out, "--no-policies", "--quiet"]);
    } finally {
      process.stdout.write = o;
      process.stderr.write = e;
    }
    assert.strictEqual(code, 0, err.join(""));
    const summary = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8")) as { cost: { estimate: { cloud: string; region: string; pools: { instanceType: string }[] } } };
    assert.deepStrictEqual([summary.cost.estimate.cloud, summary.cost.estimate.region, summary.cost.estimate.pools.length], ["gcp", "us-central1", 1]);
  });

  it("a new GCP environment plans: GKE cluster, a zonal GPU pool, the starter model", async () => {
    const run = await planTemplate("gcp-environment", "dev", { "llm-platform:environment": "team-b", "llm-platform:project": "acme-team-b", "llm-platform:apiPrivateCidrs": "10.100.0.0/16" });
    assert.ok(run.ok);
    const pool = run.resources.find((r) => r.type === "gcp:container/nodePool:NodePool" && r.name === "team-b-cluster-gpu-gpu");
    assert.deepStrictEqual(pool?.inputs.nodeLocations, ["us-central1-a"]);
    const gke = run.resources.find((r) => r.type === "gcp:container/cluster:Cluster");
    assert.deepStrictEqual(gke?.inputs.masterAuthorizedNetworksConfig, { cidrBlocks: [{ cidrBlock: "10.100.0.0/16", displayName: "private 10.100.0.0/16" }] });
    assert.strictEqual(run.outputs.tier, "dev");
  });

  it("a new model on an existing environment plans: its namespace and service, no add-ons", async () => {
    const run = await planTemplate("model", "dev", {
      "llm-platform:environment": "chat-team",
      "llm-platform:cluster": "llm-dev",
      "llm-platform:namespace": "chat-team",
      "llm-platform:modelName": "qwen3-8b-chat",
      "llm-platform:modelUri": "hf://Qwen/Qwen3-8B",
      "llm-platform:architecture": "qwen3-8b",
      "llm-platform:poolInstanceType": "g6.2xlarge",
    });
    assert.ok(run.ok);
    assert.deepStrictEqual(run.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name.includes("addons")), []);
    const service = run.resources.find((r) => r.type === "kubernetes:serving.kserve.io/v1alpha2:LLMInferenceService");
    assert.strictEqual((service?.inputs.metadata as { namespace: string }).namespace, "chat-team");
  });

  it("a new model granting prod's tenants plans its own tenants' route from prod's tenantGrants output", async () => {
    const prod = await runPlan(path.join(REPO, "stacks"), "prod");
    assert.ok(prod.ok, prod.ok ? "" : JSON.stringify(prod.issues));
    const tenantGrants = (prod.outputs as unknown as { tenantGrants: { servedModels: string[]; tenants: { name: string }[] } }).tenantGrants;
    assert.deepStrictEqual(tenantGrants.tenants.map((t) => t.name), ["search", "support-bot"]);
    // The names prod serves on the Gateway, which a template's model may not take.
    assert.deepStrictEqual(tenantGrants.servedModels, ["meta-llama/Llama-3.1-70B-Instruct", "Qwen/Qwen3-32B"]);
    const run = await planTemplate("model", "dev", {
      "llm-platform:environment": "chat-team",
      "llm-platform:cluster": "llm-prod",
      "llm-platform:namespace": "chat-team",
      "llm-platform:modelName": "qwen3-8b-chat",
      "llm-platform:modelUri": "hf://Qwen/Qwen3-8B",
      "llm-platform:architecture": "qwen3-8b",
      "llm-platform:poolInstanceType": "g6.2xlarge",
      "llm-platform:tenants": "support-bot",
      "llm-platform:environmentTenants": JSON.stringify(tenantGrants),
    });
    const objects = kubernetesObjects(run.resources).filter((o) => o.metadata?.name === "llm-tenants");
    assert.deepStrictEqual(
      objects.map((o) => `${o.kind}/${o.metadata?.namespace}`).sort(),
      ["AIGatewayRoute/chat-team", "BackendTrafficPolicy/chat-team", "SecurityPolicy/chat-team"],
    );
    const security = objects.find((o) => o.kind === "SecurityPolicy") as unknown as { spec: { mergeType: string; authorization: { rules: { name: string }[] } } };
    assert.deepStrictEqual([security.spec.mergeType, security.spec.authorization.rules.map((r) => r.name)], ["StrategicMerge", ["support-bot"]]);
    // An unknown name stops the plan, naming the key.
    const dir = instantiate("model", "dev", {
      "llm-platform:environment": "chat-team",
      "llm-platform:cluster": "llm-prod",
      "llm-platform:namespace": "chat-team",
      "llm-platform:modelName": "qwen3-8b-chat",
      "llm-platform:modelUri": "hf://Qwen/Qwen3-8B",
      "llm-platform:architecture": "qwen3-8b",
      "llm-platform:poolInstanceType": "g6.2xlarge",
      "llm-platform:tenants": "nobody",
      "llm-platform:environmentTenants": JSON.stringify(tenantGrants),
    });
    const refused = await runPlan(dir, "dev", projectAt(dir));
    assert.ok(!refused.ok);
    assert.deepStrictEqual(refused.issues, [{ path: "llm-platform:tenants[0]", message: '"nobody" is not a tenant of the environment (nearest: search, support-bot)' }]);
  });

  it("models added under llm-platform:models join the prompted ones", () => {
    const extra = [{ name: "llama-8b", source: { uri: "hf://meta-llama/Llama-3.1-8B-Instruct", revision: "main" }, pool: "gpu", architecture: "llama-3.1-8b" }];
    const input = platformFromTemplate("aws", (k) => ({ environment: "x", region: "us-east-1", zones: "us-east-1a,us-east-1b", gpuInstanceType: "g6.2xlarge", model: "qwen3-8b", modelRevision: "main" })[k], extra);
    assert.deepStrictEqual(input.models?.map((m) => m.name), ["qwen3-8b", "llama-8b"]);
  });

  it("names a missing or malformed prompt value", () => {
    const read = (values: Record<string, string>) => (k: string) => values[k];
    assert.throws(() => platformFromTemplate("aws", read({ region: "us-east-1" })), (e: unknown) => e instanceof ConfigError && /llm-platform:environment: is required/.test(e.message));
    assert.throws(() => platformFromTemplate("gcp", read({ environment: "x", region: "us-central1", project: "acme-x", gpuInstanceType: "g2-standard-8", gpuMaxNodes: "two" })), /llm-platform:gpuMaxNodes: "two" is not a whole number/);
    assert.throws(() => platformFromTemplate("aws", read({ environment: "x", region: "us-east-1", zones: "us-east-1a", gpuInstanceType: "g6.2xlarge", model: "gpt-5" })), /llm-platform:model: "gpt-5" is not in the model catalog/);
  });
});
