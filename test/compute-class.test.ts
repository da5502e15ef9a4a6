import * as assert from "assert";
import * as path from "path";
import { computeClass, consolidationDelayMinutes, stepNodePoolSpec } from "../components/cluster/gcp/compute-class";
import { describePool } from "../components/cluster/pool-descriptor";
import { parsePlatformConfig, PlatformInput, ResolvedPool } from "../components/config";
import { runPlan } from "../automation/plan/run";
import { baseConfig } from "./harness/fixtures";
import { resource, violations } from "./harness/policy";
import { kubernetesSchemas } from "./harness/schema";
import { gpuBudget } from "../policies/gpu";

// GKE capacity fallback: a custom ComputeClass over one autoscaled node pool per step. GKE
// publishes no CRD file for ComputeClass; objects are validated against the schema transcribed
// from its API reference (test/fixtures/gke-crds, source named in the file).

function gcpPool(capacity: Record<string, unknown>, pool: Record<string, unknown> = {}): ResolvedPool {
  const config: PlatformInput = {
    ...baseConfig(),
    cloud: { provider: "gcp", region: "us-central1", project: "acme-llm" },
    cluster: {
      name: "c",
      apiAccess: {
        publicCidrs: [],
        privateSources: { cidrs: ["10.100.0.0/16"] },
      },
    },
    gpuPools: [
      {
        name: "h100",
        instanceType: "a3-highgpu-8g",
        zones: ["us-central1-a"],
        minNodes: 1,
        maxNodes: 4,
        capacity: { provisioner: "compute-class", ...capacity },
        ...pool,
      },
    ],
    models: [],
  };
  return parsePlatformConfig(config).gpuPools[0];
}

const FALLBACK = [{ type: "reservation", reservationIds: ["llm-a3"], maxNodes: 2 }, { type: "on-demand" }, { type: "spot", maxNodes: 1 }];

describe("GKE ComputeClass fallback", () => {
  const pool = gcpPool({ fallback: FALLBACK, consolidateAfter: "1h" });

  it("lists one node pool per step in fallback order, creates none itself and never migrates serving replicas", () => {
    assert.deepStrictEqual(computeClass(pool), {
      apiVersion: "cloud.google.com/v1",
      kind: "ComputeClass",
      metadata: {
        name: "llm-h100",
        labels: { "llm-platform.io/gpu-pool": "h100" },
      },
      spec: {
        priorities: [{ nodepools: ["gpu-h100"] }, { nodepools: ["gpu-h100-on-demand"] }, { nodepools: ["gpu-h100-spot"] }],
        nodePoolAutoCreation: { enabled: false },
        whenUnsatisfiable: "DoNotScaleUp",
        activeMigration: { optimizeRulePriority: false },
        autoscalingPolicy: { consolidationDelayMinutes: 60 },
      },
    });
    assert.strictEqual(consolidationDelayMinutes("15m"), 15);
  });

  it("bounds each step's pool, buys as the step says, and ties it to the class by label and taint", () => {
    const specs = pool.capacity.steps.map((step, i) => stepNodePoolSpec(pool, step, i, "nodes@acme-llm.iam.gserviceaccount.com"));
    assert.deepStrictEqual(
      specs.map((s) => [s.autoscaling.totalMinNodeCount, s.autoscaling.totalMaxNodeCount, s.nodeConfig.spot ?? false, s.nodeConfig.reservationAffinity]),
      [
        [
          1,
          2,
          false,
          {
            consumeReservationType: "SPECIFIC_RESERVATION",
            key: "compute.googleapis.com/reservation-name",
            values: ["llm-a3"],
          },
        ],
        [0, 4, false, { consumeReservationType: "NO_RESERVATION" }],
        [0, 1, true, { consumeReservationType: "NO_RESERVATION" }],
      ],
    );
    for (const s of specs) {
      assert.strictEqual(s.nodeConfig.labels["cloud.google.com/compute-class"], "llm-h100");
      assert.deepStrictEqual(s.nodeConfig.taints.at(-1), {
        key: "cloud.google.com/compute-class",
        value: "llm-h100",
        effect: "NO_SCHEDULE",
      });
      assert.ok(
        s.nodeConfig.taints.some((t) => t.key === "nvidia.com/gpu"),
        "keeps the GPU taint",
      );
      assert.deepStrictEqual(s.nodeConfig.ephemeralStorageLocalSsdConfig, {
        localSsdCount: 16,
      });
    }
  });

  it("has replicas select the class and tolerate its taint", () => {
    const d = describePool(pool);
    assert.strictEqual(d.nodeSelector["cloud.google.com/compute-class"], "llm-h100");
    assert.ok(d.tolerations.some((t) => t.key === "cloud.google.com/compute-class" && t.value === "llm-h100" && t.effect === "NoSchedule"));
    assert.deepStrictEqual(d.capacity, {
      provisioner: "compute-class",
      steps: [
        { type: "reservation", maxNodes: 2 },
        { type: "on-demand", maxNodes: 4 },
        { type: "spot", maxNodes: 1 },
      ],
      reachableNodes: 7,
    });
  });

  it("validates against the ComputeClass reference schema, which catches a wrong field and enum", async () => {
    const schemas = kubernetesSchemas();
    assert.deepStrictEqual(await schemas.validate(computeClass(pool)), []);
    const object = computeClass(pool);
    const broken = {
      ...object,
      spec: {
        ...object.spec,
        whenUnsatisfiable: "Wait",
        priorities: [{ nodePools: ["gpu-h100"] }],
      },
    };
    const messages = (await schemas.validate(broken)).map((p) => p.message).sort();
    assert.deepStrictEqual(messages, [
      '/spec/priorities/0: unknown field "nodePools"',
      '/spec/whenUnsatisfiable: must be one of ["ScaleUpAnyway","DoNotScaleUp"]',
    ]);
  });

  it("in gke-prod (mocked): three node pools named by the class, and the class after them", async function () {
    this.timeout(120_000);
    const run = await runPlan(path.resolve(__dirname, "..", "stacks"), "gke-prod");
    assert.ok(run.ok, run.ok ? "" : JSON.stringify(run.issues));
    const pools = run.resources.filter((r) => r.type === "gcp:container/nodePool:NodePool" && String(r.inputs.name).startsWith("gpu-"));
    assert.deepStrictEqual(
      pools
        .map((r) => [r.inputs.name, (r.inputs.autoscaling as { totalMaxNodeCount: number }).totalMaxNodeCount])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
      [
        ["gpu-h100", 2],
        ["gpu-h100-on-demand", 4],
        ["gpu-h100-spot", 2],
      ],
    );
    const [cc] = run.resources.filter((r) => r.type === "kubernetes:cloud.google.com/v1:ComputeClass");
    assert.ok(cc !== undefined, "registers the ComputeClass");
    for (const p of pools) {
      assert.ok(cc.dependencies.includes(p.urn), `ComputeClass waits for ${String(p.inputs.name)}`);
    }
  });
});

describe("GPU budget over Karpenter NodePools and ComputeClasses", () => {
  const karpenterPool = (name: string, limit: string) =>
    resource(
      "kubernetes:karpenter.sh/v1:NodePool",
      {
        metadata: { name },
        spec: {
          limits: { "nvidia.com/gpu": limit },
          template: {
            spec: {
              requirements: [
                {
                  key: "node.kubernetes.io/instance-type",
                  operator: "In",
                  values: ["p5.48xlarge"],
                },
              ],
            },
          },
        },
      },
      { name },
    );

  it("counts every step's NodePool limit: the pool reaches their sum", async () => {
    const steps = [karpenterPool("h100-reservation", "16"), karpenterPool("h100-on-demand", "32"), karpenterPool("h100-spot", "16")];
    assert.deepStrictEqual(await violations(gpuBudget, steps, { maxGpus: 64 }), []);
    assert.match((await violations(gpuBudget, steps, { maxGpus: 48 }))[0], /reaches 64 GPUs at max scale .*h100-spot: 16.* above the tier budget of 48/);
  });

  it("refuses a ComputeClass that auto-creates GPU node pools, and counts nothing for one that names its pools", async () => {
    const pool = gcpPool({ fallback: FALLBACK });
    const named = resource("kubernetes:cloud.google.com/v1:ComputeClass", {
      ...computeClass(pool),
    });
    assert.deepStrictEqual(await violations(gpuBudget, [named], { maxGpus: 0 }), []);
    const auto = resource("kubernetes:cloud.google.com/v1:ComputeClass", {
      ...computeClass(pool),
      spec: {
        nodePoolAutoCreation: { enabled: true },
        priorities: [
          {
            machineType: "a3-highgpu-8g",
            gpu: { type: "nvidia-h100-80gb", count: 8 },
          },
        ],
      },
    });
    assert.match((await violations(gpuBudget, [auto], { maxGpus: 64 }))[0], /GKE ComputeClass .* auto-creates GPU node pools/);
  });
});
