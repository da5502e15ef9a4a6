import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { allPolicies } from "../policies/all";
import { evaluatePolicies } from "../automation/policy/evaluate";
import { loadPackConfig } from "../automation/policy/pack-config";
import { main } from "../automation/plan/cli";
import { runPlan } from "../automation/plan/run";
import { EKS_NODE_GROUP } from "../policies/lib/gpu-nodes";
import { kubernetesSchemas } from "./harness/schema";

// Cloud stacks beside the samples: the pool shapes the samples do not cover (a capacity block, a
// multi-node EFA pool with a private endpoint) get the same checks the samples get in
// plan.test.ts and policy-stacks.test.ts.

const CLOUD_STACKS = path.join(__dirname, "fixtures", "cloud-stacks");
const stacks = fs.readdirSync(CLOUD_STACKS).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);

/** Runs the plan CLI in-process without printing; returns its exit code and what it wrote. */
async function plan(stack: string): Promise<{ code: number; out: string; stderr: string }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-cloud-"));
  const err: string[] = [];
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await main([stack, "--stacks-dir", CLOUD_STACKS, "--out", out, "--quiet"]);
    return { code, out, stderr: err.join("") };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

describe("cloud test stacks", function () {
  this.timeout(120_000);

  it("are there: a capacity-block pool and a multi-node EFA pool", () => {
    assert.deepStrictEqual(stacks.sort(), ["capacity-block", "efa-multinode"]);
  });

  for (const stack of stacks) {
    it(`${stack}: plans with exit 0, every object passes its upstream schema, no mandatory policy fails`, async () => {
      const { code, out, stderr } = await plan(stack);
      assert.strictEqual(code, 0, stderr);
      const docs = parseAllDocuments(fs.readFileSync(path.join(out, "manifests.yaml"), "utf8")).map((d) => d.toJS());
      assert.ok(docs.length > 0, `${stack} renders objects`);
      for (const doc of docs) {
        assert.deepStrictEqual(await kubernetesSchemas().validate(doc), [], `${stack}: ${doc.kind}/${doc.metadata?.name}`);
      }
      const run = await runPlan(CLOUD_STACKS, stack);
      assert.ok(run.ok);
      const report = await evaluatePolicies(allPolicies, run.resources, loadPackConfig(run.outputs.tier).config);
      assert.deepStrictEqual(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
    });
  }

  // EKS user guide capacity-blocks-mng / CreateNodegroup: instance type in the launch template only.
  it("capacity-block: the launch template names p5.48xlarge, the node group lists no instance types", async () => {
    const run = await runPlan(CLOUD_STACKS, "capacity-block");
    const group = run.resources.find((r) => r.type === EKS_NODE_GROUP && r.name === "cb-cluster-gpu-h100");
    const template = run.resources.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.name === "cb-cluster-gpu-h100");
    assert.deepStrictEqual([group?.inputs.capacityType, group && "instanceTypes" in group.inputs], ["CAPACITY_BLOCK", false]);
    assert.deepStrictEqual([template?.inputs.instanceType, template?.inputs.instanceMarketOptions], ["p5.48xlarge", { marketType: "capacity-block" }]);
  });

  // EC2 user guide efa-acc-inst-types: EFA with ENA on the primary interface, EFA-only elsewhere.
  it("efa-multinode: 32 EFA devices, 31 of them EFA-only, a placement group and the runners' 443 rule", async () => {
    const run = await runPlan(CLOUD_STACKS, "efa-multinode");
    const template = run.resources.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.name === "efa-cluster-gpu-h100");
    const types = (template?.inputs.networkInterfaces as { interfaceType: string }[]).map((i) => i.interfaceType);
    assert.deepStrictEqual([types.length, types[0], types.filter((t) => t === "efa-only").length], [32, "efa", 31]);
    assert.deepStrictEqual(template?.inputs.placement, { groupName: "efa-cluster-gpu-h100" });
    const rule = run.resources.find((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    assert.deepStrictEqual([rule?.inputs.cidrIpv4, rule?.inputs.fromPort], ["10.100.0.0/20", 443]);
  });
});
