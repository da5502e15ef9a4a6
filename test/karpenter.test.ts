import * as assert from "assert";
import * as path from "path";
import { karpenterDiscoveryPolicy, karpenterIamIntegrationPolicy, karpenterNodeLifecyclePolicy, INTERRUPTION_RULES, interruptionEventPattern, interruptionQueuePolicy } from "../components/cluster/aws/karpenter-iam";
import { karpenterEfaInterfaces, karpenterNodeClasses, karpenterNodePool, karpenterValues, NODE_TERMINATION_GRACE } from "../components/cluster/aws/karpenter-objects";
import { gpuLaunchTemplateSpec } from "../components/cluster/aws/node-group";
import { parsePlatformConfig, PlatformInput, ResolvedPool } from "../components/config";
import { MODEL_TERMINATION_GRACE_SECONDS } from "../components/serving/llm-inference-service";
import { runPlan } from "../automation/plan/run";
import { gpuNodeTaint, spotGpuInProd } from "../policies/gpu";
import { iamLeastPrivilege } from "../policies/iam";
import { ChartCrdValidator } from "./harness/chart-crds";
import { resource, violations } from "./harness/policy";
import { baseConfig } from "./harness/fixtures";

// Karpenter for EKS GPU pools: the NodePools and EC2NodeClasses (validated against the CRDs of the
// karpenter-crd 1.14.1 chart), the controller's IAM documents, and what prod registers.

function karpenterPool(capacity: Record<string, unknown>, pool: Record<string, unknown> = {}): ResolvedPool {
  const config: PlatformInput = {
    ...baseConfig(),
    cloud: { provider: "aws", region: "us-east-1" },
    cluster: { name: "c", apiAccess: { publicCidrs: [], privateSources: { cidrs: ["10.100.0.0/16"] } } },
    network: { zones: ["us-east-1a", "us-east-1b"] },
    gpuPools: [{ name: "h100", instanceType: "p5.48xlarge", maxNodes: 4, capacity: { provisioner: "karpenter", ...capacity }, ...pool }],
    models: [],
  };
  return parsePlatformConfig(config).gpuPools[0];
}

const FALLBACK = [{ type: "reservation", reservationIds: ["cr-0a1b2c3d4e5f60718"], reservationTags: { team: "llm" }, maxNodes: 2 }, { type: "on-demand" }, { type: "spot", maxNodes: 1 }];
const inputs = { role: "llm-nodes", subnetTerms: [{ id: "subnet-0a" }, { tags: { Name: "c-private-us-east-1b" } }], securityGroupIds: ["sg-0c"], tags: { "managed-by": "pulumi" } };

describe("Karpenter NodePools and EC2NodeClasses", () => {
  const crds = new ChartCrdValidator("karpenter-crd", "templates");
  const pool = karpenterPool({ fallback: FALLBACK, disruptionWindow: { schedule: "0 3 * * 6", duration: "4h" } });
  const nodePools = pool.capacity.steps.map((step, i) => karpenterNodePool(pool, step, i));

  it("reads NodePool and EC2NodeClass from the karpenter-crd chart", () => {
    assert.ok(crds.kinds().includes("karpenter.sh/v1/NodePool"), crds.kinds().join(", "));
    assert.ok(crds.kinds().includes("karpenter.k8s.aws/v1/EC2NodeClass"), crds.kinds().join(", "));
  });

  it("makes one NodePool per fallback step, tried in order by weight, each allowing one capacity type with its own GPU limit", () => {
    assert.deepStrictEqual(
      nodePools.map((np) => [np.metadata.name, np.spec.weight, np.spec.template.spec.requirements.find((r) => r.key === "karpenter.sh/capacity-type")?.values, np.spec.limits["nvidia.com/gpu"], np.spec.template.spec.nodeClassRef.name]),
      [
        ["h100-reservation", 30, ["reserved"], "16", "h100-reserved"],
        ["h100-on-demand", 20, ["on-demand"], "32", "h100"],
        ["h100-spot", 10, ["spot"], "8", "h100"],
      ],
    );
    for (const np of nodePools) {
      assert.deepStrictEqual(np.spec.template.spec.requirements[0], { key: "node.kubernetes.io/instance-type", operator: "In", values: ["p5.48xlarge"] });
    }
  });

  it("gives nodes the pool's labels and GPU taint, never expires them, and leaves model pods their drain time", () => {
    const spec = nodePools[1].spec.template;
    assert.deepStrictEqual(spec.metadata.labels, { "llm-platform.io/pool": "h100", "llm-platform.io/gpu-model": "H100-80GB" });
    assert.deepStrictEqual(spec.spec.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }]);
    assert.strictEqual(spec.spec.expireAfter, "Never");
    assert.strictEqual(NODE_TERMINATION_GRACE, `${MODEL_TERMINATION_GRACE_SECONDS}s`);
    assert.strictEqual(spec.spec.terminationGracePeriod, "120s");
  });

  it("consolidates serving nodes only inside the window, and only empty nodes without one", () => {
    assert.deepStrictEqual(nodePools[0].spec.disruption, {
      consolidationPolicy: "WhenEmptyOrUnderutilized",
      consolidateAfter: "15m",
      budgets: [{ nodes: "0", reasons: ["Underutilized", "Drifted"], schedule: "0 7 * * 6", duration: "164h" }, { nodes: "1" }],
    });
    const noWindow = karpenterPool({ fallback: [{ type: "on-demand" }], consolidateAfter: "30m" });
    assert.deepStrictEqual(karpenterNodePool(noWindow, noWindow.capacity.steps[0], 0).spec.disruption, {
      consolidationPolicy: "WhenEmpty",
      consolidateAfter: "30m",
      budgets: [{ nodes: "0", reasons: ["Underutilized", "Drifted"] }, { nodes: "1" }],
    });
  });

  it("gives nodes what the managed node group's launch template gives them", () => {
    const [reserved, shared] = karpenterNodeClasses(pool, inputs);
    const template = gpuLaunchTemplateSpec(pool);
    assert.deepStrictEqual(
      [reserved.metadata.name, shared.metadata.name],
      ["h100-reserved", "h100"],
    );
    for (const nodeClass of [reserved, shared]) {
      assert.deepStrictEqual(nodeClass.spec.amiSelectorTerms, [{ alias: "al2023@v20260724" }]);
      assert.strictEqual(nodeClass.spec.instanceStorePolicy, "RAID0");
      assert.deepStrictEqual(nodeClass.spec.metadataOptions, { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: template.metadataOptions.httpPutResponseHopLimit, httpTokens: template.metadataOptions.httpTokens });
      const root = template.blockDeviceMappings[0];
      assert.deepStrictEqual(nodeClass.spec.blockDeviceMappings, [
        { deviceName: root.deviceName, rootVolume: true, ebs: { volumeSize: `${root.ebs.volumeSize}Gi`, volumeType: "gp3", encrypted: true, deleteOnTermination: true } },
      ]);
      assert.deepStrictEqual(nodeClass.spec.subnetSelectorTerms, [{ id: "subnet-0a" }, { tags: { Name: "c-private-us-east-1b" } }]);
      assert.strictEqual(nodeClass.spec.role, "llm-nodes");
    }
    assert.deepStrictEqual(reserved.spec.capacityReservationSelectorTerms, [{ id: "cr-0a1b2c3d4e5f60718" }, { tags: { team: "llm" } }]);
    assert.strictEqual(shared.spec.capacityReservationSelectorTerms, undefined);
  });

  it("attaches EFA on every card and the placement group for EFA pools", () => {
    assert.deepStrictEqual(karpenterEfaInterfaces(2), [
      { networkCardIndex: 0, deviceIndex: 0, interfaceType: "interface" },
      { networkCardIndex: 0, deviceIndex: 1, interfaceType: "efa-only" },
      { networkCardIndex: 1, deviceIndex: 0, interfaceType: "efa-only" },
    ]);
    const efa = karpenterPool({ fallback: [{ type: "on-demand" }] }, { efa: true, multiNode: true, zones: ["us-east-1a"] });
    const [nodeClass] = karpenterNodeClasses(efa, { ...inputs, securityGroupIds: ["sg-0c", "sg-0e"], placementGroupName: "llm-h100" });
    assert.strictEqual(nodeClass.spec.networkInterfaces?.length, 33);
    assert.deepStrictEqual(nodeClass.spec.placementGroupSelector, { name: "llm-h100" });
    assert.deepStrictEqual(karpenterNodePool(efa, efa.capacity.steps[0], 0).spec.template.spec.requirements[2], { key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1a"] });
  });

  it("validates every NodePool and EC2NodeClass against the chart's CRDs, and the validator catches a wrong field", () => {
    const efa = karpenterPool({ fallback: [{ type: "on-demand" }] }, { efa: true, multiNode: true, zones: ["us-east-1a"] });
    const objects = [...nodePools, ...karpenterNodeClasses(pool, inputs), ...karpenterNodeClasses(efa, { ...inputs, placementGroupName: "llm-h100" })];
    for (const o of objects) {
      assert.deepStrictEqual(crds.validate(o), [], `${o.kind} ${o.metadata.name}`);
    }
    const broken = { ...nodePools[0], spec: { ...nodePools[0].spec, disruption: { ...nodePools[0].spec.disruption, consolidationPolicy: "Always" } } };
    assert.match(crds.validate(broken).join("\n"), /consolidationPolicy: must be equal to one of the allowed values/);
  });

  it("gpu-node-taint refuses a GPU NodePool without the GPU taint; spot-gpu-in-prod notes the spot step", async () => {
    const asResource = (np: object, name: string) => resource("kubernetes:karpenter.sh/v1:NodePool", { ...np }, { name });
    assert.deepStrictEqual(await violations(gpuNodeTaint, nodePools.map((np) => asResource(np, np.metadata.name))), []);
    const untainted = { ...nodePools[1], spec: { ...nodePools[1].spec, template: { ...nodePools[1].spec.template, spec: { ...nodePools[1].spec.template.spec, taints: [] } } } };
    assert.match((await violations(gpuNodeTaint, [asResource(untainted, "bare")]))[0], /Karpenter NodePool bare launches GPU nodes without the nvidia.com\/gpu NoSchedule taint/);
    const spot = await violations(spotGpuInProd, nodePools.map((np) => asResource(np, np.metadata.name)));
    assert.deepStrictEqual(spot.map((m) => /NodePool (\S+)/.exec(m)?.[1]), ["h100-spot"]);
  });

  it("refuses a Bottlerocket pool when building classes", () => {
    const managed = parsePlatformConfig({
      ...baseConfig(),
      cloud: { provider: "aws", region: "us-east-1" },
      cluster: { name: "c", apiAccess: { publicCidrs: [], privateSources: { cidrs: ["10.100.0.0/16"] } } },
      network: { zones: ["us-east-1a", "us-east-1b"] },
      gpuPools: [{ name: "b", instanceType: "p5.48xlarge", maxNodes: 1, nodeImage: "bottlerocket-nvidia" }],
      models: [],
    }).gpuPools[0];
    assert.throws(() => karpenterNodeClasses(managed, inputs), /Karpenter pools use the AL2023 NVIDIA image, not bottlerocket-nvidia/);
  });

  it("sets the 1.14.1 controller image without the chart's stale digest, on the system nodes", () => {
    const values = karpenterValues("llm-prod", "llm-prod-karpenter", 2);
    assert.deepStrictEqual(values.controller.image, { tag: "1.14.1", digest: "" });
    assert.strictEqual(values.nodeSelector["llm-platform.io/system"], "true");
    assert.deepStrictEqual(values.settings, { clusterName: "llm-prod", interruptionQueue: "llm-prod-karpenter", featureGates: { reservedCapacity: true } });
  });
});

describe("Karpenter controller IAM and interruption handling", () => {
  const scope = { partition: "aws", region: "us-east-1", accountId: "111122223333", clusterName: "llm-prod", nodeRoleArn: "arn:aws:iam::111122223333:role/nodes", queueArn: "arn:aws:sqs:us-east-1:111122223333:llm-prod-karpenter" };

  it("scopes launches, tags and terminations to the cluster's and a NodePool's tags", () => {
    const doc = karpenterNodeLifecyclePolicy(scope);
    const terminate = doc.Statement.find((s) => s.Action.includes("ec2:TerminateInstances"));
    assert.deepStrictEqual(terminate?.Condition, { StringEquals: { "aws:ResourceTag/kubernetes.io/cluster/llm-prod": "owned" }, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } });
    for (const s of doc.Statement) {
      assert.ok(!s.Resource?.includes("*"), `${s.Sid} names resources`);
      assert.ok(s.Action.every((a) => !a.includes("*")), `${s.Sid} names actions`);
    }
  });

  it("passes only the node role, and reads the queue it is given", () => {
    const pass = karpenterIamIntegrationPolicy(scope).Statement.find((s) => s.Action.includes("iam:PassRole"));
    assert.deepStrictEqual(pass?.Resource, [scope.nodeRoleArn]);
    const queue = karpenterDiscoveryPolicy(scope).Statement.find((s) => s.Sid === "AllowInterruptionQueueActions");
    assert.deepStrictEqual(queue?.Resource, [scope.queueArn]);
    assert.deepStrictEqual(interruptionQueuePolicy(scope.queueArn).Statement[1].Condition, { Bool: { "aws:SecureTransport": "false" } });
  });

  it("passes iam-least-privilege: only read-only actions and pricing:GetProducts (no resource type) on *", async () => {
    const policies = [karpenterNodeLifecyclePolicy, karpenterIamIntegrationPolicy, karpenterDiscoveryPolicy].map((doc) => resource("aws:iam/policy:Policy", { policy: JSON.stringify(doc(scope)) }));
    assert.deepStrictEqual(await violations(iamLeastPrivilege, policies), []);
    const wider = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["pricing:GetProducts", "ec2:RunInstances"], Resource: ["*"] }] };
    assert.match((await violations(iamLeastPrivilege, [resource("aws:iam/policy:Policy", { policy: JSON.stringify(wider) })]))[0], /resource "\*" covers every resource for pricing:GetProducts, ec2:RunInstances/);
  });

  it("feeds the queue spot interruptions, rebalance notices, scheduled changes and instance state changes", () => {
    const patterns = Object.values(INTERRUPTION_RULES).map((r) => JSON.parse(interruptionEventPattern(r)) as { "detail-type": string[] });
    assert.deepStrictEqual(patterns.map((p) => p["detail-type"][0]).sort(), [
      "AWS Health Event",
      "EC2 Capacity Reservation Instance Interruption Warning",
      "EC2 Instance Rebalance Recommendation",
      "EC2 Instance State-change Notification",
      "EC2 Spot Instance Interruption Warning",
    ]);
  });
});

describe("Karpenter in the prod stack (mocked)", function () {
  this.timeout(120_000);

  it("registers the queue, rules, identities, both releases and the pool's objects instead of a node group", async () => {
    const run = await runPlan(path.resolve(__dirname, "..", "stacks"), "prod");
    assert.ok(run.ok, run.ok ? "" : JSON.stringify(run.issues));
    const of = (type: string) => run.resources.filter((r) => r.type === type);
    assert.strictEqual(of("aws:sqs/queue:Queue").length, 1);
    assert.strictEqual(of("aws:cloudwatch/eventTarget:EventTarget").length, 5);
    const association = of("aws:eks/podIdentityAssociation:PodIdentityAssociation").find((r) => r.inputs.serviceAccount === "karpenter");
    assert.strictEqual(association?.inputs.namespace, "kube-system");
    assert.ok(of("aws:eks/accessEntry:AccessEntry").some((r) => r.inputs.type === "EC2_LINUX"));
    const releases = of("kubernetes:helm.sh/v3:Release").filter((r) => String(r.inputs.chart).startsWith("oci://public.ecr.aws/karpenter/"));
    assert.deepStrictEqual(releases.map((r) => [r.inputs.name, r.inputs.version, r.inputs.skipCrds ?? false]).sort(), [
      ["karpenter", "1.14.1", true],
      ["karpenter-crd", "1.14.1", false],
    ]);
    const nodePools = of("kubernetes:karpenter.sh/v1:NodePool").map((r) => (r.inputs.metadata as { name: string }).name);
    assert.deepStrictEqual(nodePools, ["h100-reservation", "h100-on-demand", "h100-spot"]);
    const classes = of("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass").map((r) => r.inputs.spec as { subnetSelectorTerms: unknown[] });
    assert.strictEqual(classes.length, 2);
    // The created VPC's subnets, one per zone, by the Name tag vpc.ts gives them.
    assert.deepStrictEqual(classes[0].subnetSelectorTerms, ["us-east-1a", "us-east-1b", "us-east-1c"].map((z) => ({ tags: { Name: `llm-prod-private-${z}` } })));
    assert.ok(!of("aws:eks/nodeGroup:NodeGroup").some((r) => String(r.inputs.nodeGroupName).includes("gpu-h100")), "no managed node group for the Karpenter pool");
  });
});
