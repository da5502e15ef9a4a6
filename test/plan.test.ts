import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { main } from "../automation/plan/cli";
import { dependencyDepth, helmReleases, kubernetesObjects, renderMermaid, renderTree, table } from "../automation/plan/render";
import { runPlan } from "../automation/plan/run";
import { loadStackConfig, secretPlaceholder } from "../automation/plan/stack-file";
import { REDACTED } from "../automation/plan/render";
import { planFiles } from "../automation/plan/write";
import type { PlanRun } from "../automation/plan/run";
import { kubernetesSchemas } from "./harness/schema";
import { RecordedResource } from "../automation/plan/recorder";
import { gatewayApiCrdsOwner } from "../components/addons";
import { duplicateObjects, ObjectRef } from "../components/serving";
import { gatewayApiCrds, releaseObjects } from "./harness/chart-objects";

const REPO = path.resolve(__dirname, "..");
const STACKS = path.join(REPO, "stacks");
const FIXTURES = path.join(__dirname, "fixtures", "stacks");

/** Runs the CLI in-process, capturing what it prints. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-plan-"));
}

describe("offline plan", () => {
  it("writes tree, manifests, graph and summary for the local stack", async () => {
    const out = tempDir();
    const { code, stdout } = await cli(["local", "--stacks-dir", STACKS, "--out", out]);
    assert.strictEqual(code, 0);
    for (const file of ["tree.txt", "manifests.yaml", "graph.mmd", "summary.md", "summary.json", "resources.yaml", "policy.json"]) {
      assert.ok(fs.statSync(path.join(out, file)).size > 0, `${file} written`);
    }
    assert.match(stdout, /^Plan for stack local: environment local \(dev\), cluster llm-local, models namespace llm-models/);
    assert.match(stdout, /GPU pools \(0 GPUs at max scale\):/);
    assert.match(stdout, /qwen3-8b +\(simulator\) +2 /);
    assert.match(stdout, /Add-ons \(dependency depth 5\):\n(.*\n)* {2}kserve-llmisvc-resources +kserve-llmisvc-resources +v0\.20\.0 +kserve\n/);
    assert.match(stdout, /Endpoints \(gateway address \(known after deploy\)\):\n.*\n {2}qwen3-8b +qwen3-8b +http:\/\/<gateway-address>\/llm-models\/qwen3-8b\/v1 +pending-address\n/);
    assert.match(stdout, /curl -s http:\/\/<gateway-address>\/llm-models\/llama-3-1-8b\/v1\/chat\/completions .*"model":"meta-llama\/Llama-3.1-8B-Instruct"/);
    assert.match(fs.readFileSync(path.join(out, "tree.txt"), "utf8"), /^llm-platform:index:LlmPlatform local\n {2}llm-platform:index:ExistingCluster local-cluster\n {4}pulumi:providers:kubernetes local-cluster-k8s\n/);
    assert.match(fs.readFileSync(path.join(out, "graph.mmd"), "utf8"), /^flowchart TD\n/);
    const summary = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8"));
    assert.strictEqual(summary.outputs.models[0].model, "qwen3-8b");
    assert.strictEqual(summary.dependencyDepth, 5);
    assert.deepStrictEqual(summary.outputs.endpoints.map((e: { model: string }) => e.model), ["qwen3-8b", "llama-3-1-8b"]);
    assert.ok(fs.existsSync(path.join(out, "helm", "local-qwen3-8b-router.values.yaml")));
  });

  it("replaces an earlier plan's files", async () => {
    const out = tempDir();
    fs.writeFileSync(path.join(out, "stale.yaml"), "old");
    assert.strictEqual((await cli(["local", "--stacks-dir", STACKS, "--out", out, "--quiet"])).code, 0);
    assert.strictEqual(fs.existsSync(path.join(out, "stale.yaml")), false);
  });

  it("exits 1 with one line per problem and registers nothing for a broken config", async () => {
    const run = await runPlan(FIXTURES, "broken");
    assert.strictEqual(run.ok, false);
    assert.deepStrictEqual(run.resources, []);

    const out = tempDir();
    const { code, stdout, stderr } = await cli(["broken", "--stacks-dir", FIXTURES, "--out", out]);
    assert.strictEqual(code, 1);
    assert.strictEqual(stdout, "");
    assert.deepStrictEqual(fs.readdirSync(out), []);
    const lines = stderr.trimEnd().split("\n");
    assert.match(lines[0], /^plan: stack broken \(.*Pulumi\.broken\.yaml\) has 5 config problem\(s\); nothing was registered:$/);
    assert.deepStrictEqual(
      lines.slice(1).map((l) => l.trim().split(":")[0]).sort(),
      ["gpuPools[1].instanceType", "models[0].tensorParallel", "models[1].name", "models[2].pool", "models[3].maxModelLen"],
    );
    assert.match(stderr, /models\[1\]\.name: "llama-70b" is already used by models\[0\]/);
    assert.match(stderr, /gpuPools\[1\]\.instanceType: "p7\.96xlarge" is not in the GPU catalog/);
  });

  it("exits 2 naming the known stacks when the stack file is missing", async () => {
    const { code, stderr } = await cli(["nope", "--stacks-dir", STACKS]);
    assert.strictEqual(code, 2);
    assert.match(stderr, /no stack file .*Pulumi\.nope\.yaml \(stacks: .*local.*\)/);
  });

  it("exits 2 for a stack file that is not YAML, and for no stack argument", async () => {
    const bad = await cli(["not-yaml", "--stacks-dir", FIXTURES]);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.stderr, /is not valid YAML/);
    const none = await cli([]);
    assert.strictEqual(none.code, 2);
    assert.match(none.stderr, /missing required argument 'stack'/);
  });

  it("shows encrypted values as placeholders and keeps them secret", () => {
    const stack = loadStackConfig(FIXTURES, "secret");
    assert.deepStrictEqual(stack.secretKeys, ["llm-platform:kubeconfig"]);
    assert.deepStrictEqual(stack.issues, [], "an encrypted credential is no problem");
    assert.strictEqual(stack.values["llm-platform:kubeconfig"], secretPlaceholder("llm-platform:kubeconfig"));
    assert.ok("llm-platform:platform" in stack.values, "unqualified keys belong to the project");
  });

  it("exits 1 for credentials stored in plain text, saying how to store them as secrets, registering and writing nothing", async () => {
    const stack = loadStackConfig(FIXTURES, "plain-secret");
    assert.deepStrictEqual(stack.issues.map((i) => i.path), ["llm-platform:kubeconfig", "llm-platform:hfToken"]);
    const run = await runPlan(FIXTURES, "plain-secret");
    assert.strictEqual(run.ok, false);
    assert.deepStrictEqual(run.resources, []);

    const out = tempDir();
    const { code, stdout, stderr } = await cli(["plain-secret", "--stacks-dir", FIXTURES, "--out", out]);
    assert.strictEqual(code, 1);
    assert.strictEqual(stdout, "");
    assert.deepStrictEqual(fs.readdirSync(out), []);
    assert.match(stderr, /^plan: stack plain-secret \(.*Pulumi\.plain-secret\.yaml\) has 2 config problem\(s\); nothing was registered:\n/);
    assert.match(stderr, /\n {2}llm-platform:hfToken: is stored in plain text in .*Pulumi\.plain-secret\.yaml; remove it there and store it encrypted: pulumi config set --secret llm-platform:hfToken <value>\n/);
    assert.match(stderr, /\n {2}llm-platform:kubeconfig: is stored in plain text .*pulumi config set --secret llm-platform:kubeconfig -- "\$\(cat <kubeconfig file>\)"\n/);
    assert.ok(!stderr.includes("hf_plain_token_in_the_file") && !stderr.includes("plain-kube-token"), "the values themselves are not echoed");
  });

  it("redacts every Secret's data and stringData in every file it writes", () => {
    const token = "hf_plain_token_value";
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "hf-token", namespace: "llm-models" }, stringData: { token }, data: { other: Buffer.from(token).toString("base64") } };
    const resources: RecordedResource[] = [
      { urn: "urn:s", type: "kubernetes:core/v1:Secret", name: "t-hf-token", custom: true, dependencies: [], inputs: secret },
      { urn: "urn:h", type: "kubernetes:helm.sh/v3:Release", name: "t-rel", custom: true, dependencies: [], inputs: { name: "rel", chart: "c", values: { extraObjects: [secret] } } },
      { urn: "urn:c", type: "gcp:secretmanager/secretVersion:SecretVersion", name: "t-cloud", custom: true, dependencies: [], inputs: { manifest: secret } },
    ];
    const outputs = { environment: "t", tier: "dev", cluster: "c", kubeconfig: undefined, snapshotStore: undefined, modelsNamespace: "llm-models", gpuPools: [], models: [], addons: [], endpoints: [], gatewayAddress: undefined, tenants: [], tenantKeys: {}, monitoring: { scrapeObjects: false, dashboards: [], alerts: [] } };
    const run = { ok: true, stack: loadStackConfig(FIXTURES, "secret"), resources, outputs, seconds: 0 } as unknown as Extract<PlanRun, { ok: true }>;
    const { files } = planFiles(run);
    assert.ok(files.has("manifests.yaml") && files.has("cloud.yaml") && files.has(path.join("helm", "t-rel.values.yaml")));
    for (const [file, content] of files) {
      assert.ok(!content.includes(token) && !content.includes(Buffer.from(token).toString("base64")), `${file} holds the token`);
    }
    const manifest = parseAllDocuments(files.get("manifests.yaml") as string)[0].toJS();
    assert.deepStrictEqual([manifest.stringData, manifest.data, manifest.metadata.name], [{ token: REDACTED }, { other: REDACTED }, "hf-token"]);
  });

  it("every stack plans, and every object it renders passes its upstream schema", async () => {
    const stacks = fs.readdirSync(STACKS).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
    assert.ok(stacks.includes("local"));
    for (const stack of stacks) {
      const out = tempDir();
      const { code, stderr } = await cli([stack, "--stacks-dir", STACKS, "--out", out, "--quiet"]);
      assert.strictEqual(code, 0, stderr);
      const docs = parseAllDocuments(fs.readFileSync(path.join(out, "manifests.yaml"), "utf8")).map((d) => d.toJS());
      assert.ok(docs.length > 0, `${stack} renders objects`);
      for (const doc of docs) {
        assert.deepStrictEqual(await kubernetesSchemas().validate(doc), [], `${stack}: ${doc.kind}/${doc.metadata?.name}`);
      }
    }
  });
});

describe("one owner per object", () => {
  it("no two releases, direct objects or cluster-managed CRDs of a sample stack claim the same object", async () => {
    const stacks = fs.readdirSync(STACKS).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
    for (const stack of stacks) {
      const run = await runPlan(STACKS, stack);
      assert.ok(run.ok, stack);
      const owners: { owner: string; objects: ObjectRef[] }[] = [
        { owner: "manifests.yaml", objects: kubernetesObjects(run.resources).map((o) => ({ kind: o.kind, namespace: o.metadata.namespace, name: String(o.metadata.name) })) },
      ];
      const releases = helmReleases(run.resources);
      for (const release of releases) {
        const objects = releaseObjects(release);
        if (objects !== undefined) {
          owners.push({ owner: `release ${release.name}`, objects });
        }
      }
      const platform = run.stack.values["llm-platform:platform"] as { cloud: { provider: "aws" | "gcp" | "existing" }; addons?: { gateway?: boolean }; tenants?: unknown[] };
      if (gatewayApiCrdsOwner({ cloud: platform.cloud, addons: { gateway: platform.addons?.gateway ?? true }, tenants: platform.tenants ?? [] }) === "gke") {
        owners.push({ owner: "GKE gatewayApiConfig", objects: gatewayApiCrds("standard") });
      }
      // Every router release is among the modelled owners, so the check covers the repeated chart.
      const routers = releases.filter((r) => r.chart.endsWith("/llm-d-router-gateway"));
      assert.strictEqual(routers.length, run.outputs.models.filter((m) => ["llm-d", "precise"].includes(modelRouting(run.stack.values, m.model))).length, `${stack}: router releases`);
      assert.deepStrictEqual(duplicateObjects(owners), [], stack);
    }
  });
});

/** A model's routing mode as its stack file states it (default llm-d). */
function modelRouting(values: Record<string, unknown>, model: string): string {
  const models = (values["llm-platform:platform"] as { models?: { name: string; routing?: string }[] }).models ?? [];
  return models.find((m) => m.name === model)?.routing ?? "llm-d";
}

describe("plan renderers", () => {
  const r = (urn: string, deps: string[] = [], parent?: string, custom = true): RecordedResource => ({
    urn, type: `t:${urn}`, name: urn, custom, parent, dependencies: deps, inputs: {},
  });

  it("measure dependency depth as the longest chain, ignoring parents", () => {
    assert.strictEqual(dependencyDepth([r("a"), r("b", ["a"]), r("c", ["b"]), r("d", ["a"], "c")]), 3);
    assert.strictEqual(dependencyDepth([r("a"), r("b", [], "a")]), 1);
    assert.strictEqual(dependencyDepth([]), 0);
  });

  it("count a provider reference as a dependency", () => {
    const provider = r("p");
    const obj: RecordedResource = { ...r("o"), provider: "p::p-id" };
    assert.strictEqual(dependencyDepth([provider, obj]), 2);
  });

  it("refuse a dependency cycle", () => {
    assert.throws(() => dependencyDepth([r("a", ["b"]), r("b", ["a"])]), /dependency cycle/);
  });

  it("draw parents dotted and dependencies solid", () => {
    const graph = renderMermaid([r("a", [], undefined, false), r("b", [], "a"), r("c", ["b"])]);
    assert.deepStrictEqual(graph.trim().split("\n").slice(4), ["  r0 -.-> r1", "  r1 --> r2"]);
    assert.match(graph, /r0\(\["t:a<br\/>a"\]\)/);
  });

  it("indent the tree under parents and keep orphans at the root", () => {
    assert.strictEqual(renderTree([r("a"), r("b", [], "a"), r("c", [], "gone")]), "t:a a\n  t:b b\nt:c c\n");
  });

  it("align table columns", () => {
    assert.strictEqual(table([["a", "bb"], ["ccc", "d"]]), "a    bb\nccc  d");
  });
});
