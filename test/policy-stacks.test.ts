import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { allPolicies } from "../policies/all";
import { evaluatePolicies } from "../automation/policy/evaluate";
import { loadPackConfig } from "../automation/policy/pack-config";
import { runPlan } from "../automation/plan/run";
import { platformProgram } from "../components/program";
import { runMocked } from "./harness/pulumi";

const STACKS = path.resolve(__dirname, "..", "stacks");
const BAD_STACKS = path.join(__dirname, "fixtures", "policy-stacks");

async function mandatoryPolicyNames(stacksDir: string, stack: string): Promise<string[]> {
  const run = await runPlan(stacksDir, stack);
  assert.ok(run.ok, `${stack} plans`);
  const report = await evaluatePolicies(allPolicies, run.resources, loadPackConfig(run.outputs.tier).config);
  return [...new Set(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy))].sort();
}

describe("policy pack on whole stacks", () => {
  it("every sample stack passes its tier's mandatory policies", async () => {
    for (const stack of fs.readdirSync(STACKS).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? [])) {
      assert.deepStrictEqual(await mandatoryPolicyNames(STACKS, stack), [], stack);
    }
  });

  const expected: Record<string, string[]> = {
    budget: ["gpu-budget"],
    allowlist: ["gpu-instance-allowlist"],
    nvme: ["nvme-capacity"],
    restore: ["restore-time-slo"],
    revision: ["model-revision-pinned"],
  };
  for (const [stack, policies] of Object.entries(expected)) {
    it(`the deliberately bad stack "${stack}" fails ${policies.join(", ")}`, async () => {
      assert.deepStrictEqual(await mandatoryPolicyNames(BAD_STACKS, stack), policies);
    });
  }

  it("catches hand-written resources registered beside the platform", async () => {
    const raw = {
      environment: { name: "hand", tier: "prod" },
      cloud: { provider: "existing" },
      modelCache: { mode: "auto", store: { provider: "s3", bucket: "llm-snapshots" } },
      gpuPools: [{ name: "h100", instanceType: "p5.48xlarge", maxNodes: 1 }],
    };
    const { recorder } = await runMocked(
      () => {
        platformProgram();
        const opts = { provider: new k8s.Provider("hand", {}) };
        new k8s.apps.v1.Deployment(
          "rogue",
          {
            metadata: { name: "rogue", namespace: "llm-models" },
            spec: {
              selector: { matchLabels: { app: "rogue" } },
              template: {
                metadata: { labels: { app: "rogue" } },
                spec: {
                  containers: [{ name: "vllm", image: "vllm", env: [{ name: "HF_TOKEN", value: "hf_literal" }], resources: { limits: { "nvidia.com/gpu": "1" } }, volumeMounts: [{ name: "w", mountPath: "/w" }] }],
                  volumes: [{ name: "w", nfs: { server: "nfs", path: "/models" } }],
                },
              },
            },
          },
          opts,
        );
        new k8s.core.v1.PersistentVolume("local", { metadata: { name: "local" }, spec: { capacity: { storage: "1Ti" }, accessModes: ["ReadWriteOnce"], local: { path: "/mnt/disk" } } }, opts);
        return pulumi.output("done");
      },
      { config: { "llm-platform:platform": raw } },
    );
    const report = await evaluatePolicies(allPolicies, recorder.resources, loadPackConfig("prod").config);
    assert.deepStrictEqual(
      [...new Set(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy))].sort(),
      ["gpu-requests-whole", "hf-token-secret", "no-network-fs-weights", "no-node-pinned-weights"],
    );
  });
});
