import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { EKS_NODE_GROUP } from "../policies/lib/gpu-nodes";
import { parsePlatformConfig, PlatformInput } from "../components/config";
import { LlmPlatform } from "../components/platform";
import { platformProgram } from "../components/program";
import { eksAddons } from "../components/versions";
import { gkeSystemPoolStart } from "../components/config/managed";
import { cloudMockCall, cloudMockState, MOCK_ACCOUNT, MOCK_DEPLOYER_ROLE } from "../automation/plan/cloud-mocks";
import { allowTransforms, settle } from "../automation/plan/recorder";
import { adminEntryKey, configuredAdminEntries, deployerEntry, withoutCreatorAdminBootstrap } from "../components/cluster/aws/api-access";
import { expectIssue } from "./harness/config-issues";
import { baseConfig } from "./harness/fixtures";
import { RecordedResource, runMocked, runMockedExpectingError } from "./harness/pulumi";

function awsConfig(): PlatformInput & { gpuPools: NonNullable<PlatformInput["gpuPools"]> } {
  return {
    ...baseConfig(),
    environment: { name: "test", tier: "staging" },
    cloud: { provider: "aws", region: "us-east-1" },
    cluster: { name: "llm-test", apiAccess: { publicCidrs: ["203.0.113.0/24"] }, admins: ["arn:aws:iam::111122223333:role/admins"] },
    network: { zones: ["us-east-1a", "us-east-1b"] },
    modelCache: { mode: "nvme", store: { bucket: "acme-test-snapshots" } },
    models: baseConfig().models.map((m) => ({ ...m, source: { ...m.source, revision: "0123456789abcdef0123456789abcdef01234567" } })),
  };
}

function gcpConfig(): PlatformInput & { gpuPools: NonNullable<PlatformInput["gpuPools"]> } {
  return {
    ...awsConfig(),
    cloud: { provider: "gcp", region: "us-central1", project: "acme-llm" },
    cluster: { name: "llm-test", apiAccess: { publicCidrs: [], privateSources: { cidrs: ["10.100.0.0/16"] } } },
    network: {},
    gpuPools: [
      { name: "h100", instanceType: "a3-highgpu-8g", zones: ["us-central1-a"], minNodes: 1, maxNodes: 2 },
      { name: "l4", instanceType: "g2-standard-8", capacityType: "spot", minNodes: 0, maxNodes: 4 },
    ],
    modelCache: { mode: "nvme" },
  };
}

const inputsOf = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);
const one = (resources: RecordedResource[], type: string, name: string) => {
  const found = resources.filter((r) => r.type === type && r.name === name);
  assert.strictEqual(found.length, 1, `${type} ${name}`);
  return found[0];
};
const json = (value: unknown) => JSON.parse(String(value));

describe("managed cluster config", () => {
  it("a valid aws config resolves its network, system nodes and snapshot store", () => {
    const config = parsePlatformConfig(awsConfig());
    assert.deepStrictEqual(config.network && config.network.cloud === "aws" && config.network.create ? config.network.subnets.map((s) => s.privateCidr) : [], ["10.0.0.0/19", "10.0.32.0/19"]);
    assert.deepStrictEqual(config.cluster.systemNodes, { instanceType: "m7i.xlarge", minNodes: 2, maxNodes: 4 });
    assert.deepStrictEqual(config.modelCache.store, { provider: "s3", bucket: "acme-test-snapshots", region: "us-east-1", created: true });
    assert.strictEqual(config.cluster.deletionProtection, false);
    assert.deepStrictEqual(parsePlatformConfig({ ...gcpConfig(), modelCache: { mode: "nvme" } }).modelCache.store, { provider: "gcs", bucket: "llm-test-model-snapshots", created: true });
  });

  it("rejects a GPU type of the other cloud, naming it", () => {
    const config = awsConfig();
    config.gpuPools[0].instanceType = "a3-highgpu-8g";
    expectIssue(config, "gpuPools[0].instanceType", /it is a gcp type but cloud\.provider is aws/);
  });

  it("rejects capacity blocks without a reservation or zone, and malformed reservations", () => {
    const config = awsConfig();
    config.gpuPools[0].capacityType = "capacity-block";
    expectIssue(config, "gpuPools[0].reservation", /required with capacity-block/);
    expectIssue(config, "gpuPools[0].zones", /capacity-block pools need exactly one zone/);
    config.gpuPools[0].reservation = "r-123";
    expectIssue(config, "gpuPools[0].reservation", /not an EC2 capacity reservation ID/);
  });

  it("rejects EFA on an instance without it and outside AWS", () => {
    const config = awsConfig();
    config.gpuPools[1].efa = true;
    expectIssue(config, "gpuPools[1].efa", /g6\.xlarge does not support EFA/);
    const gcp = gcpConfig();
    gcp.gpuPools[0].efa = true;
    expectIssue(gcp, "gpuPools[0].efa", /AWS option/);
  });

  it("rejects multi-node EFA pools spread over zones (placement groups live in one)", () => {
    const config = awsConfig();
    config.gpuPools[0].multiNode = true;
    expectIssue(config, "gpuPools[0].zones", /multi-node EFA pools need exactly one zone/);
    config.gpuPools[0].zones = ["us-east-1c"];
    expectIssue(config, "gpuPools[0].zones[0]", /us-east-1c is not one of network\.zones/);
  });

  it("rejects malformed and overlapping CIDRs", () => {
    expectIssue({ ...awsConfig(), cluster: { apiAccess: { publicCidrs: ["10.0.0.1/8"] } } }, "cluster.apiAccess.publicCidrs[0]", /IPv4 CIDR block/);
    expectIssue({ ...awsConfig(), network: { cidr: "10.0.0.0/24", zones: ["us-east-1a", "us-east-1b"] } }, "network.cidr", /\/16 to \/20/);
    expectIssue({ ...gcpConfig(), network: { podCidr: "10.0.0.0/14" } }, "network.podCidr", /overlaps network\.cidr 10\.0\.0\.0\/20/);
  });

  it("requires zones, API access, a project, and keeps each cloud's settings to its cloud", () => {
    expectIssue({ ...awsConfig(), network: {} }, "network.zones", /required when the platform creates the VPC/);
    expectIssue({ ...awsConfig(), network: { zones: ["us-west-2a", "us-east-1b"] } }, "network.zones[0]", /not an availability zone of us-east-1/);
    expectIssue({ ...awsConfig(), cluster: { name: "x" } }, "cluster.apiAccess", /required for a managed cluster/);
    expectIssue({ ...gcpConfig(), cloud: { provider: "gcp", region: "us-central1" } }, "cloud.project", /required for gcp/);
    expectIssue({ ...gcpConfig(), cluster: { apiAccess: { publicCidrs: [] }, admins: ["arn:aws:iam::111122223333:role/a"] } }, "cluster.admins", /EKS access entries/);
    expectIssue({ ...awsConfig(), network: { zones: ["us-east-1a", "us-east-1b"], podCidr: "10.4.0.0/14" } }, "network.podCidr", /GKE setting/);
    expectIssue({ ...baseConfig(), network: { cidr: "10.0.0.0/16" } }, "network", /only applies to clusters the platform creates/);
    expectIssue({ ...awsConfig(), cluster: { apiAccess: { publicCidrs: [] }, kubernetesVersion: "1.30" } }, "cluster.kubernetesVersion", /no pinned EKS add-on versions/);
  });

  it("rejects an existing network without enough subnets, and pool zones there", () => {
    const config = { ...awsConfig(), network: { existing: { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-0aa"] } } };
    expectIssue(config, "network.existing.privateSubnetIds", /at least two availability zones/);
    config.gpuPools[0].zones = ["us-east-1a"];
    expectIssue(config, "gpuPools[0].zones", /with network\.existing use subnetIds/);
  });

  it("rejects GKE multi-node pools without one zone, foreign zones and spot reservations", () => {
    const config = gcpConfig();
    config.gpuPools[0] = { ...config.gpuPools[0], multiNode: true, zones: undefined };
    expectIssue(config, "gpuPools[0].zones", /compact placement/);
    config.gpuPools[0].zones = ["europe-west4-a"];
    expectIssue(config, "gpuPools[0].zones[0]", /not a zone of us-central1/);
    config.gpuPools[1].reservation = "res";
    expectIssue(config, "gpuPools[1].reservation", /spot VMs cannot consume a reservation/);
  });

  it("keeps the created store on the cloud's own object store", () => {
    expectIssue({ ...awsConfig(), modelCache: { mode: "nvme", store: { provider: "gcs" } } }, "modelCache.store.provider", /creates the store in aws, which is s3/);
    expectIssue({ ...awsConfig(), modelCache: { mode: "nvme", store: { endpoint: "https://minio.local" } } }, "modelCache.store.endpoint", /S3-compatible stores on existing clusters/);
    expectIssue({ ...baseConfig(), modelCache: { mode: "nvme", store: { bucket: "bkt" } } }, "modelCache.store.provider", /required on an existing cluster/);
  });

  it("rejects the existing-cluster kubeconfig secret on a managed cluster, before registering anything", async () => {
    const { recorder, error } = await runMockedExpectingError(platformProgram, {
      config: { "llm-platform:platform": awsConfig(), "llm-platform:kubeconfig": "apiVersion: v1" },
      secretKeys: ["llm-platform:kubeconfig"],
    });
    assert.match(String(error), /llm-platform:kubeconfig: only applies to existing clusters/);
    assert.deepStrictEqual(recorder.resources, []);
  });
});

describe("EksCluster (mocked)", () => {
  let resources: RecordedResource[];
  before(async () => {
    const config = parsePlatformConfig(awsConfig());
    resources = (await runMocked(() => new LlmPlatform("t", { config }))).recorder.resources;
  });

  it("builds the control plane with API authentication, KMS secrets encryption, limited endpoint, logs and pinned add-ons", () => {
    const cluster = one(resources, "eks:index:Cluster", "t-cluster-eks").inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs are untyped JSON
    const key = one(resources, "aws:kms/key:Key", "t-cluster-kms");
    const pins = eksAddons["1.33"];
    assert.strictEqual(cluster.authenticationMode, "API");
    assert.strictEqual(cluster.encryptionConfigKeyArn, "arn:aws:kms:us-east-1:123456789012:key/t-cluster-kms");
    assert.strictEqual(key.inputs.enableKeyRotation, true);
    assert.deepStrictEqual([cluster.endpointPrivateAccess, cluster.endpointPublicAccess, cluster.publicAccessCidrs], [true, true, ["203.0.113.0/24"]]);
    assert.deepStrictEqual(cluster.enabledClusterLogTypes, ["api", "audit", "authenticator"]);
    assert.strictEqual(cluster.accessEntries, undefined, "admins get access entries of their own (see the deployer test)");
    assert.deepStrictEqual([cluster.vpcCniOptions.addonVersion, cluster.kubeProxyAddonOptions.version], [pins["vpc-cni"].version, pins["kube-proxy"].version]);
    assert.strictEqual(cluster.vpcCniOptions.enableNetworkPolicy, true, "the VPC CNI enforces the models namespace's NetworkPolicies");
    assert.strictEqual(cluster.skipDefaultNodeGroup, true);
    assert.deepStrictEqual(cluster.privateSubnetIds, ["t-cluster-private-us-east-1a-id", "t-cluster-private-us-east-1b-id"]);
    const agent = one(resources, "aws:eks/addon:Addon", "t-cluster-pod-identity-agent").inputs;
    assert.deepStrictEqual([agent.addonName, agent.addonVersion, agent.clusterName], ["eks-pod-identity-agent", pins["eks-pod-identity-agent"].version, "llm-test"]);
  });

  it("gives every pool a managed node group with its AMI type, labels, taint and an IMDSv2-only launch template", () => {
    const groups = inputsOf(resources, EKS_NODE_GROUP);
    assert.deepStrictEqual(groups.map((g) => g.name).sort(), ["t-cluster-gpu-h100", "t-cluster-gpu-l4", "t-cluster-system"]);
    const h100 = one(resources, EKS_NODE_GROUP, "t-cluster-gpu-h100").inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs
    assert.deepStrictEqual([h100.amiType, h100.capacityType, h100.instanceTypes, h100.version], ["AL2023_x86_64_NVIDIA", "ON_DEMAND", ["p5.48xlarge"], "1.33"]);
    assert.deepStrictEqual(h100.labels, { "llm-platform.io/pool": "h100", "llm-platform.io/gpu-model": "H100-80GB" });
    assert.deepStrictEqual(h100.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
    assert.deepStrictEqual(h100.launchTemplate, { id: "t-cluster-gpu-h100-id", version: "1" });
    const system = one(resources, EKS_NODE_GROUP, "t-cluster-system").inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs
    assert.deepStrictEqual([system.amiType, system.taints], ["AL2023_x86_64_STANDARD", []]);
    for (const template of inputsOf(resources, "aws:ec2/launchTemplate:LaunchTemplate")) {
      assert.strictEqual((template.inputs.metadataOptions as Record<string, unknown>).httpTokens, "required", template.name);
    }
    const userData = Buffer.from(String(one(resources, "aws:ec2/launchTemplate:LaunchTemplate", "t-cluster-gpu-h100").inputs.userData), "base64").toString();
    assert.match(userData, /Content-Type: application\/node\.eks\.aws\n\n---\napiVersion: node\.eks\.aws\/v1alpha1\nkind: NodeConfig\nspec:\n {2}instance:\n {4}localStorage:\n {6}strategy: RAID0\n/);
  });

  it("protects the snapshot bucket: public access blocked, SSE-KMS, versioning, noncurrent expiry, TLS only", () => {
    const bucket = one(resources, "aws:s3/bucket:Bucket", "t-cluster-store-snapshots");
    assert.strictEqual(bucket.inputs.bucket, "acme-test-snapshots");
    const dependents = (type: string) => resources.filter((r) => r.type === type && r.dependencies.includes(bucket.urn)).map((r) => r.inputs as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs
    const [block] = dependents("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    assert.deepStrictEqual([block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets], [true, true, true, true]);
    const [sse] = dependents("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
    assert.deepStrictEqual(sse.rules[0].applyServerSideEncryptionByDefault, { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/t-cluster-kms" });
    assert.strictEqual(dependents("aws:s3/bucketVersioning:BucketVersioning")[0].versioningConfiguration.status, "Enabled");
    assert.deepStrictEqual(dependents("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0].rules[0].noncurrentVersionExpiration, { noncurrentDays: 30 });
    const policy = json(dependents("aws:s3/bucketPolicy:BucketPolicy")[0].policy);
    assert.deepStrictEqual(policy.Statement[0].Condition, { Bool: { "aws:SecureTransport": "false" } });
  });

  it("binds a reader role to each model's and each pre-warmed pool's ServiceAccount, reading only its models' prefixes, and the read-write role only to the seeder's", () => {
    const associations = inputsOf(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation").map((a) => a.inputs);
    const role = (name: string) => `arn:aws:iam::123456789012:role/t-cluster-store-${name}`;
    assert.deepStrictEqual(
      associations.map((a) => [a.namespace, a.serviceAccount, a.roleArn, a.clusterName]),
      [
        ["llm-models", "llm-cache-reader-llama-70b", role("reader-llama-70b"), "llm-test"],
        ["llm-models", "llm-cache-reader-qwen3-8b", role("reader-qwen3-8b"), "llm-test"],
        ["llm-models", "llm-cache-prewarm-h100", role("prewarm-h100"), "llm-test"],
        ["llm-models", "llm-cache-prewarm-l4", role("prewarm-l4"), "llm-test"],
        ["llm-models", "llm-model-cache-seeder", role("seeder"), "llm-test"],
      ],
    );
    // Reader roles carry their own bounded names; the seeder's keeps its auto-name.
    const roles = Object.fromEntries(inputsOf(resources, "aws:iam/role:Role").map((r) => [r.name, r.inputs.name]));
    assert.deepStrictEqual([roles["t-cluster-store-reader-llama-70b"], roles["t-cluster-store-prewarm-l4"], roles["t-cluster-store-seeder"]], ["t-cluster-store-reader-llama-70b", "t-cluster-store-prewarm-l4", undefined]);
    const documents = Object.fromEntries(inputsOf(resources, "aws:iam/rolePolicy:RolePolicy").map((p) => [p.name, json(p.inputs.policy)]));
    const actions = (doc: { Statement: { Action: string[] }[] }) => doc.Statement.flatMap((s) => s.Action);
    const reads = (doc: { Statement: { Sid: string; Resource: string[] }[] }) => doc.Statement.find((s) => s.Sid === "ReadSnapshots")?.Resource;
    const llama = "arn:aws:s3:::acme-test-snapshots/models/meta-llama/Llama-3.1-70B-Instruct/*";
    const qwen = "arn:aws:s3:::acme-test-snapshots/models/Qwen/Qwen3-8B/*";
    assert.deepStrictEqual(reads(documents["t-cluster-store-reader-llama-70b"]), [llama]);
    assert.deepStrictEqual(reads(documents["t-cluster-store-reader-qwen3-8b"]), [qwen]);
    assert.deepStrictEqual(reads(documents["t-cluster-store-prewarm-h100"]), [llama]);
    assert.deepStrictEqual(reads(documents["t-cluster-store-seeder"]), ["arn:aws:s3:::acme-test-snapshots/models/*"]);
    for (const reader of ["reader-llama-70b", "reader-qwen3-8b", "prewarm-h100", "prewarm-l4"]) {
      assert.ok(!actions(documents[`t-cluster-store-${reader}`]).includes("s3:PutObject"), reader);
    }
    assert.ok(actions(documents["t-cluster-store-seeder"]).includes("s3:PutObject"));
    for (const doc of Object.values(documents) as { Statement: { Resource: string[] }[] }[]) {
      for (const resource of doc.Statement.flatMap((s) => s.Resource)) {
        assert.ok(resource.startsWith("arn:aws:s3:::acme-test-snapshots") || resource.includes(":kms:"), resource);
      }
    }
  });

  it("creates in-cluster objects through a provider built from the cluster's kubeconfig, after the system nodes", () => {
    const provider = one(resources, "pulumi:providers:kubernetes", "t-cluster-k8s");
    assert.match(String(provider.inputs.kubeconfig), /"server":"https:\/\/offline\.invalid"/);
    const system = one(resources, EKS_NODE_GROUP, "t-cluster-system");
    assert.ok(provider.dependencies.includes(system.urn));
    const namespace = one(resources, "kubernetes:core/v1:Namespace", "t-models");
    assert.ok(namespace.provider?.startsWith(provider.urn));
    const seeder = resources.find((r) => r.type === "kubernetes:batch/v1:Job");
    const seederAssociation = one(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "t-cluster-store-seeder");
    assert.ok(seeder?.dependencies.includes(seederAssociation.urn), "seeders start after their identity exists");
  });
});

describe("GkeCluster (mocked)", () => {
  let resources: RecordedResource[];
  before(async () => {
    const config = parsePlatformConfig(gcpConfig());
    resources = (await runMocked(() => new LlmPlatform("g", { config }))).recorder.resources;
  });

  it("builds the cluster with Workload Identity, the Gateway API, a release channel, private nodes and endpoint", () => {
    const cluster = one(resources, "gcp:container/cluster:Cluster", "g-cluster-gke").inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs
    assert.deepStrictEqual(cluster.workloadIdentityConfig, { workloadPool: "acme-llm.svc.id.goog" });
    assert.deepStrictEqual(cluster.gatewayApiConfig, { channel: "CHANNEL_STANDARD" });
    assert.strictEqual(cluster.datapathProvider, "ADVANCED_DATAPATH", "Dataplane V2 enforces the models namespace's NetworkPolicies");
    assert.deepStrictEqual(cluster.releaseChannel, { channel: "REGULAR" });
    assert.deepStrictEqual(cluster.privateClusterConfig, { enablePrivateNodes: true, enablePrivateEndpoint: true, masterIpv4CidrBlock: "172.16.0.0/28" });
    assert.deepStrictEqual(cluster.masterAuthorizedNetworksConfig, { cidrBlocks: [{ cidrBlock: "10.100.0.0/16", displayName: "private 10.100.0.0/16" }] });
    assert.deepStrictEqual([cluster.removeDefaultNodePool, cluster.ipAllocationPolicy], [true, { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" }]);
    const subnet = one(resources, "gcp:compute/subnetwork:Subnetwork", "g-cluster-nodes").inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs
    assert.deepStrictEqual(subnet.secondaryIpRanges, [{ rangeName: "pods", ipCidrRange: "10.4.0.0/14" }, { rangeName: "services", ipCidrRange: "10.8.0.0/20" }]);
    assert.strictEqual(one(resources, "gcp:compute/subnetwork:Subnetwork", "g-cluster-proxy-only").inputs.purpose, "REGIONAL_MANAGED_PROXY");
    assert.strictEqual(inputsOf(resources, "gcp:compute/routerNat:RouterNat").length, 1);
  });

  it("lets the regional Gateway's proxy-only subnet, and no pod, reach the model services", () => {
    const serving = resources.find((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && (r.inputs as Record<string, any>).metadata.name === "qwen3-8b-serving"); // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs
    assert.ok(serving, "qwen3-8b-serving NetworkPolicy");
    const gatewayRule = (serving.inputs as Record<string, any>).spec.ingress[1]; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs
    assert.deepStrictEqual(gatewayRule.from[0], { ipBlock: { cidr: "10.9.0.0/23" } });
    assert.ok(!gatewayRule.from.some((peer: object) => "podSelector" in peer || "namespaceSelector" in peer));
  });

  it("GPU node pools carry the accelerator without a Google driver, labels, taint, local SSD, spot", () => {
    const pools = Object.fromEntries(inputsOf(resources, "gcp:container/nodePool:NodePool").map((p) => [p.name, p.inputs as Record<string, any>])); // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs
    assert.deepStrictEqual(Object.keys(pools).sort(), ["g-cluster-gpu-h100", "g-cluster-gpu-l4", "g-cluster-system"]);
    const h100 = pools["g-cluster-gpu-h100"].nodeConfig;
    assert.strictEqual(h100.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion, "INSTALLATION_DISABLED");
    assert.strictEqual(h100.labels["gke-no-default-nvidia-gpu-device-plugin"], "true");
    assert.deepStrictEqual(h100.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
    assert.deepStrictEqual(h100.ephemeralStorageLocalSsdConfig, { localSsdCount: 16 });
    assert.strictEqual(h100.serviceAccount, "llm-test-nodes@acme-llm.iam.gserviceaccount.com");
    assert.strictEqual(pools["g-cluster-gpu-l4"].nodeConfig.spot, true);
    const installer = resources.find((r) => r.type === "kubernetes:yaml/v2:ConfigFile" && r.name === "g-addons-gke-driver-installer");
    assert.match(String(installer?.inputs.file), /container-engine-accelerators\/[0-9a-f]{40}\/nvidia-driver-installer\/cos\/daemonset-preloaded\.yaml$/);
  });

  it("the bucket is private and versioned; each cache identity is bound to exactly its ServiceAccount; readers read only their models' objects", () => {
    const bucket = one(resources, "gcp:storage/bucket:Bucket", "g-cluster-store-snapshots").inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs
    assert.deepStrictEqual([bucket.uniformBucketLevelAccess, bucket.publicAccessPrevention, bucket.versioning], [true, "enforced", { enabled: true }]);
    const email = (id: string) => `${id}@acme-llm.iam.gserviceaccount.com`;
    // Reader ids hash the model or pool name (an id holds 30 characters).
    const ids = { llama: "llm-test-r-5a577930", qwen: "llm-test-r-10b45f54", h100: "llm-test-p-62db64d6", l4: "llm-test-p-13a9f884" };
    const access = inputsOf(resources, "gcp:storage/bucketIAMMember:BucketIAMMember").map((m) => [m.inputs.role, m.inputs.member, (m.inputs.condition as { expression?: string } | undefined)?.expression]);
    const bucketResource = "projects/_/buckets/llm-test-model-snapshots";
    const list = `resource.name == "${bucketResource}"`;
    const read = (id: string) => `resource.name.startsWith("${bucketResource}/objects/models/${id}/")`;
    const viewer = (id: string, expression: string) => ["roles/storage.objectViewer", `serviceAccount:${email(id)}`, expression];
    const byMember = (rows: unknown[][]) => [...rows].sort((a, b) => String(a).localeCompare(String(b)));
    assert.deepStrictEqual(byMember(access), byMember([
      viewer(ids.llama, list),
      viewer(ids.llama, read("meta-llama/Llama-3.1-70B-Instruct")),
      viewer(ids.qwen, list),
      viewer(ids.qwen, read("Qwen/Qwen3-8B")),
      viewer(ids.h100, list),
      viewer(ids.h100, read("meta-llama/Llama-3.1-70B-Instruct")),
      viewer(ids.l4, list),
      viewer(ids.l4, read("Qwen/Qwen3-8B")),
      ["roles/storage.objectAdmin", `serviceAccount:${email("llm-test-cache-seeder")}`, undefined],
    ]));
    const workloadIdentity = inputsOf(resources, "gcp:serviceaccount/iAMMember:IAMMember").map((m) => [m.inputs.serviceAccountId, m.inputs.role, m.inputs.member]);
    const bound = (id: string, sa: string) => [`projects/acme-llm/serviceAccounts/${email(id)}`, "roles/iam.workloadIdentityUser", `serviceAccount:acme-llm.svc.id.goog[llm-models/${sa}]`];
    assert.deepStrictEqual(workloadIdentity, [
      bound(ids.llama, "llm-cache-reader-llama-70b"),
      bound(ids.qwen, "llm-cache-reader-qwen3-8b"),
      bound(ids.h100, "llm-cache-prewarm-h100"),
      bound(ids.l4, "llm-cache-prewarm-l4"),
      bound("llm-test-cache-seeder", "llm-model-cache-seeder"),
    ]);
    const accounts = inputsOf(resources, "kubernetes:core/v1:ServiceAccount").map((a) => (a.inputs.metadata as { name: string; annotations?: Record<string, string> }));
    assert.deepStrictEqual(
      accounts.map((a) => [a.name, a.annotations?.["iam.gke.io/gcp-service-account"]]),
      [
        ["llm-cache-reader-llama-70b", email(ids.llama)],
        ["llm-cache-reader-qwen3-8b", email(ids.qwen)],
        ["llm-cache-prewarm-h100", email(ids.h100)],
        ["llm-cache-prewarm-l4", email(ids.l4)],
        ["llm-model-cache-seeder", email("llm-test-cache-seeder")],
      ],
    );
  });

  it("the kubeconfig reaches the private endpoint through gke-gcloud-auth-plugin", () => {
    const provider = one(resources, "pulumi:providers:kubernetes", "g-cluster-k8s");
    const kubeconfig = json(provider.inputs.kubeconfig);
    assert.strictEqual(kubeconfig.clusters[0].cluster.server, "https://172.16.0.2");
    assert.strictEqual(kubeconfig.users[0].user.exec.command, "gke-gcloud-auth-plugin");
  });
});

describe("EksCluster network and placement options (mocked)", () => {
  it("a NAT gateway per zone when asked, and private routes through their own zone's gateway", async () => {
    const config = parsePlatformConfig({ ...awsConfig(), network: { zones: ["us-east-1a", "us-east-1b", "us-east-1c"], natGateways: "per-zone" } });
    const { recorder } = await runMocked(() => new LlmPlatform("n", { config }));
    assert.deepStrictEqual(recorder.ofType("aws:ec2/natGateway:NatGateway").map((n) => n.name), ["n-cluster-nat-us-east-1a", "n-cluster-nat-us-east-1b", "n-cluster-nat-us-east-1c"]);
    const route = recorder.get("aws:ec2/routeTable:RouteTable", "n-cluster-private-us-east-1c").inputs.routes as { natGatewayId: string }[];
    assert.strictEqual(route[0].natGatewayId, "n-cluster-nat-us-east-1c-id");
    const subnets = recorder.ofType("aws:ec2/subnet:Subnet").map((s) => [s.name, s.inputs.cidrBlock, (s.inputs.tags as Record<string, string>)["kubernetes.io/role/internal-elb"] ?? (s.inputs.tags as Record<string, string>)["kubernetes.io/role/elb"]]);
    assert.deepStrictEqual(subnets.find((s) => s[0] === "n-cluster-private-us-east-1c"), ["n-cluster-private-us-east-1c", "10.0.64.0/19", "1"]);
  });

  it("an existing VPC: no network resources, the given subnets, pool subnets as configured", async () => {
    const raw = { ...awsConfig(), network: { existing: { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-0a1", "subnet-0b2"] } } };
    raw.gpuPools[0] = { ...raw.gpuPools[0], multiNode: true, subnetIds: ["subnet-0a1"] };
    const config = parsePlatformConfig(raw);
    const { recorder } = await runMocked(() => new LlmPlatform("x", { config }));
    assert.deepStrictEqual(recorder.ofType("aws:ec2/vpc:Vpc"), []);
    assert.deepStrictEqual(recorder.get("eks:index:Cluster", "x-cluster-eks").inputs.privateSubnetIds, ["subnet-0a1", "subnet-0b2"]);
    const h100 = recorder.get(EKS_NODE_GROUP, "x-cluster-gpu-h100").inputs;
    assert.deepStrictEqual(h100.subnetIds, ["subnet-0a1"]);
    // Multi-node on an EFA type: EFA security group (self-referencing), placement group, 32 interfaces.
    const efa = recorder.get("aws:ec2/securityGroup:SecurityGroup", "x-cluster-gpu-h100-efa").inputs;
    assert.deepStrictEqual((efa.ingress as { self: boolean }[])[0].self, true);
    assert.strictEqual(recorder.get("aws:ec2/placementGroup:PlacementGroup", "x-cluster-gpu-h100").inputs.strategy, "cluster");
    const template = recorder.get("aws:ec2/launchTemplate:LaunchTemplate", "x-cluster-gpu-h100").inputs;
    assert.strictEqual((template.networkInterfaces as unknown[]).length, 32);
    assert.deepStrictEqual((template.networkInterfaces as { securityGroups: string[] }[])[0].securityGroups, ["sg-0offlineplan0000", "x-cluster-gpu-h100-efa-id"]);
    assert.deepStrictEqual(template.placement, { groupName: "x-cluster-gpu-h100" });
  });
});

describe("First up on EKS (mocked): add-on order, API reachability, admins", () => {
  const runAws = async (raw: PlatformInput) => (await runMocked(() => new LlmPlatform("f", { config: parsePlatformConfig(raw) }))).recorder;

  // pulumi-eks v4.3.0 cluster.ts creates the CoreDNS add-on inside the remote Cluster component when
  // corednsAddonOptions.enabled is true; the component's outputs (cluster name, security group)
  // resolve only after that add-on is ACTIVE, which needs nodes, and the node groups need those
  // outputs: the create waiter times out after 20 minutes (pulumi-eks issue #1819).
  it("installs the managed CoreDNS add-on itself, pinned, after the system node group, and in-cluster objects wait for it", async () => {
    const recorder = await runAws(awsConfig());
    const cluster = recorder.get("eks:index:Cluster", "f-cluster-eks").inputs as { corednsAddonOptions: { enabled: boolean } };
    assert.strictEqual(cluster.corednsAddonOptions.enabled, false);
    const coredns = recorder.get("aws:eks/addon:Addon", "f-cluster-coredns");
    assert.deepStrictEqual(
      [coredns.inputs.addonName, coredns.inputs.addonVersion, coredns.inputs.clusterName, coredns.inputs.resolveConflictsOnCreate],
      ["coredns", eksAddons["1.33"].coredns.version, "llm-test", "OVERWRITE"],
    );
    const system = recorder.get(EKS_NODE_GROUP, "f-cluster-system");
    assert.ok(coredns.dependencies.includes(system.urn), "CoreDNS waits for the system nodes");
    assert.ok(recorder.get("pulumi:providers:kubernetes", "f-cluster-k8s").dependencies.includes(coredns.urn), "in-cluster objects wait for CoreDNS");
    assert.ok(!system.dependencies.includes(coredns.urn));
  });

  // EKS user guide sec-group-reqs: the cluster security group admits traffic only from itself, so a
  // private-only endpoint (endpointPublicAccess false) is reachable from nothing but the nodes
  // unless 443 ingress is added for the deploying network.
  it("a private endpoint without declared sources is a config error naming cluster.apiAccess.privateSources (aws and gcp)", () => {
    expectIssue({ ...awsConfig(), cluster: { name: "llm-test", apiAccess: { publicCidrs: [] } } }, "cluster.apiAccess.privateSources", /required when publicCidrs is \[\].*securityGroupIds/);
    expectIssue({ ...gcpConfig(), cluster: { name: "llm-test", apiAccess: { publicCidrs: [] } } }, "cluster.apiAccess.privateSources", /required when publicCidrs is \[\]/);
    expectIssue(
      { ...gcpConfig(), cluster: { name: "llm-test", apiAccess: { publicCidrs: [], privateSources: { securityGroupIds: ["sg-0abc"] } } } },
      "cluster.apiAccess.privateSources.securityGroupIds",
      /AWS setting/,
    );
    expectIssue({ ...gcpConfig(), cluster: { name: "llm-test", privateNodes: false, apiAccess: { publicCidrs: [], privateSources: { cidrs: ["10.100.0.0/16"] } } } }, "cluster.privateNodes", /private endpoint only on clusters with private nodes/);
    expectIssue({ ...awsConfig(), cluster: { name: "llm-test", apiAccess: { publicCidrs: [], privateSources: { securityGroupIds: ["runner"] } } } }, "cluster.apiAccess.privateSources.securityGroupIds[0]", /security group ID/);
  });

  it("a private endpoint admits the declared CIDRs and security groups on 443 of the cluster security group, before anything in the cluster", async () => {
    const recorder = await runAws({ ...awsConfig(), cluster: { name: "llm-test", apiAccess: { publicCidrs: [], privateSources: { cidrs: ["10.100.0.0/20"], securityGroupIds: ["sg-0a1b2c3d4e5f60718"] } } } });
    const cluster = recorder.get("eks:index:Cluster", "f-cluster-eks").inputs;
    assert.deepStrictEqual([cluster.endpointPrivateAccess, cluster.endpointPublicAccess, cluster.publicAccessCidrs], [true, false, undefined]);
    const rules = recorder.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    assert.deepStrictEqual(
      rules.map((r) => [r.name, r.inputs.securityGroupId, r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId]),
      [
        ["f-cluster-api-cidr-10-100-0-0-20", "sg-0offlineplan0000", "tcp", 443, 443, "10.100.0.0/20"],
        ["f-cluster-api-sg-0a1b2c3d4e5f60718", "sg-0offlineplan0000", "tcp", 443, 443, "sg-0a1b2c3d4e5f60718"],
      ],
    );
    const provider = recorder.get("pulumi:providers:kubernetes", "f-cluster-k8s");
    for (const rule of rules) {
      assert.ok(provider.dependencies.includes(rule.urn), `${rule.name} before the provider`);
    }
  });

  // EKS user guide capacity-blocks-mng: the launch template carries InstanceType; CreateNodegroup
  // rejects instanceTypes when the launch template names one.
  it("a capacity-block pool: instance type in its launch template, none on its node group", async () => {
    const raw = awsConfig();
    raw.gpuPools[0] = { ...raw.gpuPools[0], capacityType: "capacity-block", reservation: "cr-0123456789abcdef0", zones: ["us-east-1a"] };
    const recorder = await runAws(raw);
    const group = recorder.get(EKS_NODE_GROUP, "f-cluster-gpu-h100").inputs;
    assert.deepStrictEqual([group.capacityType, "instanceTypes" in group], ["CAPACITY_BLOCK", false]);
    const template = recorder.get("aws:ec2/launchTemplate:LaunchTemplate", "f-cluster-gpu-h100").inputs;
    assert.deepStrictEqual([template.instanceType, template.instanceMarketOptions], ["p5.48xlarge", { marketType: "capacity-block" }]);
    assert.deepStrictEqual(recorder.get(EKS_NODE_GROUP, "f-cluster-gpu-l4").inputs.instanceTypes, ["g6.xlarge"]);
  });
});

describe("First up on GKE (mocked): Workload Identity after the cluster, a system pool that starts with nodes", () => {
  // The Workload Identity pool `<project>.svc.id.goog` is created with the first cluster that
  // enables it; an IAM binding naming it before then fails with "Identity Pool does not exist".
  it("binds the cache identities to the cluster's Workload Identity pool, after the cluster", async () => {
    const { recorder } = await runMocked(() => new LlmPlatform("w", { config: parsePlatformConfig(gcpConfig()) }));
    const cluster = recorder.get("gcp:container/cluster:Cluster", "w-cluster-gke");
    const bindings = recorder.ofType("gcp:serviceaccount/iAMMember:IAMMember");
    assert.strictEqual(bindings.length, 5);
    for (const binding of bindings) {
      assert.ok(binding.dependencies.includes(cluster.urn), `${binding.name} waits for the cluster`);
      assert.match(String(binding.inputs.member), /^serviceAccount:acme-llm\.svc\.id\.goog\[llm-models\/llm-(model-cache-seeder|cache-reader-[a-z0-9-]+|cache-prewarm-[a-z0-9-]+)\]$/);
    }
  });

  // GKE: a regional pool without node locations spans three zones, and initialNodeCount counts per
  // zone; the cluster autoscaler adds nodes for pending pods only, it does not fill a pool to its minimum.
  it("the system pool starts with nodes in each zone, and a maxNodes below that is a config error", async () => {
    const { recorder } = await runMocked(() => new LlmPlatform("s", { config: parsePlatformConfig({ ...gcpConfig(), cluster: { ...gcpConfig().cluster, systemNodes: { minNodes: 4, maxNodes: 9 } } }) }));
    const system = recorder.get("gcp:container/nodePool:NodePool", "s-cluster-system").inputs;
    assert.deepStrictEqual([system.initialNodeCount, system.autoscaling], [2, { totalMinNodeCount: 4, totalMaxNodeCount: 9, locationPolicy: "BALANCED" }]);
    assert.deepStrictEqual(gkeSystemPoolStart(1), { perZone: 1, total: 3 });
    expectIssue({ ...gcpConfig(), cluster: { ...gcpConfig().cluster, systemNodes: { minNodes: 1, maxNodes: 2 } } }, "cluster.systemNodes.maxNodes", /below the 3 node\(s\) the GKE system pool starts with/);
  });

  it("a private endpoint's sources join the master authorized networks", async () => {
    const { recorder } = await runMocked(() =>
      new LlmPlatform("p", { config: parsePlatformConfig({ ...gcpConfig(), cluster: { name: "llm-test", apiAccess: { publicCidrs: ["203.0.113.0/24"], privateSources: { cidrs: ["10.100.0.0/16", "203.0.113.0/24"] } } } }) }),
    );
    assert.deepStrictEqual(recorder.get("gcp:container/cluster:Cluster", "p-cluster-gke").inputs.masterAuthorizedNetworksConfig, {
      cidrBlocks: [
        { cidrBlock: "203.0.113.0/24", displayName: "203.0.113.0/24" },
        { cidrBlock: "10.100.0.0/16", displayName: "private 10.100.0.0/16" },
      ],
    });
  });
});

/** One registration as the engine receives it, with the options the shared recorder does not keep. */
interface Registration {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly inputs: Record<string, unknown>;
  readonly dependencies: readonly string[];
  readonly deleteBeforeReplace: boolean;
  readonly aliasNames: readonly string[];
  readonly transforms: readonly pulumi.ResourceTransform[];
}

class OptionsMonitor extends MockMonitor {
  constructor(
    mocks: pulumi.runtime.Mocks,
    private readonly onRegistered: (req: RegisterRequest, urn: string) => void,
  ) {
    super(mocks);
  }

  override async registerResource(req: RegisterRequest, callback: (err: unknown, response: { getUrn(): string } | undefined) => void): Promise<void> {
    return super.registerResource(req, (err, response) => {
      if (!err && response !== undefined) {
        this.onRegistered(req, response.getUrn());
      }
      callback(err, response);
    });
  }
}

type RegisterRequest = {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
  getDeletebeforereplace(): boolean;
  getAliasesList(): { getSpec(): { getName(): string } | undefined }[];
  getAliasurnsList(): string[];
};

/**
 * Runs the platform for `raw` under mocks as `callerArn` (what sts:GetCallerIdentity answers), and
 * returns every registration with its options.
 */
async function deployAs(callerArn: string, raw: PlatformInput): Promise<Registration[]> {
  const registrations: Registration[] = [];
  const seen = new Map<string, { inputs: Record<string, unknown>; transforms: pulumi.ResourceTransform[] }>();
  const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => {
      const inputs = args.inputs as Record<string, unknown>;
      seen.set(`${args.type}::${args.name}`, { inputs, transforms: args.transforms ?? [] });
      const state = cloudMockState({ type: args.type, name: args.name, custom: args.custom ?? false, dependencies: [], inputs });
      return { id: args.custom ? `${args.name}-id` : undefined, state };
    },
    call: (args) =>
      args.token === "aws:index/getCallerIdentity:getCallerIdentity"
        ? { id: "caller", accountId: callerArn.split(":")[4], arn: callerArn, userId: "AIDAEXAMPLE" }
        : cloudMockCall(args.token, args.inputs as Record<string, unknown>),
  };
  await pulumi.runtime.setMocks(mocks, "llm-platform", "test", false);
  pulumi.runtime.setMockOptions(
    new OptionsMonitor(mocks, (req, urn) => {
      const recorded = seen.get(`${req.getType()}::${req.getName()}`) ?? { inputs: {}, transforms: [] };
      registrations.push({
        type: req.getType(),
        name: req.getName(),
        urn,
        inputs: recorded.inputs,
        transforms: recorded.transforms,
        dependencies: req.getDependenciesList(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        // As specs or as URNs, whichever the runtime sends.
        aliasNames: [...req.getAliasesList().flatMap((alias) => alias.getSpec()?.getName() ?? []), ...req.getAliasurnsList().map((alias) => alias.split("::").pop() ?? "")],
      });
    }),
    "llm-platform",
    "test",
    false,
  );
  allowTransforms();
  new LlmPlatform("f", { config: parsePlatformConfig(raw) });
  await settle();
  return registrations;
}

const ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry";
const ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation";
const CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
/** The role the offline plan's mocks deploy as (an assumed-role session of it). */
const PLAN_DEPLOYER = `arn:aws:iam::${MOCK_ACCOUNT}:role/${MOCK_DEPLOYER_ROLE}`;

function withAdmins(admins: string[]): PlatformInput {
  return { ...awsConfig(), cluster: { ...awsConfig().cluster, admins } };
}

/** [name, principalArn] of every access entry, and each entry's policy association checked on the way. */
function adminEntriesOf(resources: readonly { type: string; name: string; urn: string; inputs: Record<string, unknown>; dependencies: readonly string[] }[]): [string, string][] {
  const entries = resources.filter((r) => r.type === ACCESS_ENTRY);
  for (const entry of entries) {
    assert.deepStrictEqual([entry.inputs.clusterName, entry.inputs.type], ["llm-test", "STANDARD"], entry.name);
    const policy = resources.filter((r) => r.type === ACCESS_POLICY && r.name === entry.name);
    assert.strictEqual(policy.length, 1, `${entry.name} has one policy association`);
    assert.deepStrictEqual([policy[0].inputs.principalArn, policy[0].inputs.policyArn, policy[0].inputs.accessScope], [entry.inputs.principalArn, CLUSTER_ADMIN, { type: "cluster" }]);
    assert.ok(policy[0].dependencies.includes(entry.urn), `${entry.name}: the association follows its entry`);
  }
  assert.strictEqual(resources.filter((r) => r.type === ACCESS_POLICY).length, entries.length);
  // Registration order follows the lookups' timing: compare by name.
  return entries.map((e): [string, string] => [e.name, String(e.inputs.principalArn)]).sort(([a], [b]) => a.localeCompare(b));
}

describe("EKS cluster admins: one entry per principal, the deployer's included, on every deploy (mocked)", () => {
  const runAws = async (raw: PlatformInput) => (await runMocked(() => new LlmPlatform("f", { config: parsePlatformConfig(raw) }))).recorder;

  // pulumi-eks v4.3.0 cluster.ts hard-codes accessConfig.bootstrapClusterCreatorAdminPermissions:
  // true on its aws:eks/cluster:Cluster child (with ignoreChanges on it). EKS then creates an entry
  // for whoever creates the cluster, outside the program; CreateAccessEntry for that principal
  // again, now or on a later deploy by someone else, answers 409 ResourceInUseException.
  it("the control plane bootstraps no creator entry: the eks.Cluster component turns it off on its child", async () => {
    const registrations = await deployAs(`arn:aws:sts::${MOCK_ACCOUNT}:assumed-role/${MOCK_DEPLOYER_ROLE}/ci`, awsConfig());
    const component = registrations.filter((r) => r.type === "eks:index:Cluster");
    assert.strictEqual(component.length, 1);
    // The child as pulumi-eks v4.3.0 registers it.
    const ignoreChanges = ["accessConfig.bootstrapClusterCreatorAdminPermissions", "bootstrapSelfManagedAddons"];
    let child: pulumi.ResourceTransformArgs = {
      custom: true,
      type: "aws:eks/cluster:Cluster",
      name: "f-cluster-eks-eksCluster",
      props: { name: "llm-test", accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true } },
      opts: { ignoreChanges },
    };
    for (const transform of component[0].transforms) {
      const result = await transform(child);
      child = result === undefined ? child : { ...child, ...result };
    }
    assert.deepStrictEqual(child.props, { name: "llm-test", accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false } });
    assert.deepStrictEqual(child.opts, { ignoreChanges }, "pulumi-eks's options stay, so an existing cluster is not replaced");
    // Nothing else inside the component is touched.
    const addon = { custom: true, type: "aws:eks/addon:Addon", name: "f-cluster-eks-vpc-cni", props: { addonName: "vpc-cni" }, opts: {} };
    for (const transform of component[0].transforms) {
      assert.strictEqual(await transform(addon), undefined);
    }
  });

  it("a control plane registered without accessConfig is an error, not a silent creator entry", () => {
    assert.throws(
      () => withoutCreatorAdminBootstrap({ type: "aws:eks/cluster:Cluster", props: { name: "llm-test" }, opts: {} }),
      /aws:eks\/cluster:Cluster registered without accessConfig: the creator bootstrap cannot be turned off/,
    );
  });

  it("a deployer listed in cluster.admins has exactly one entry, under its configured spelling", async () => {
    const recorder = await runAws(withAdmins(["arn:aws:iam::111122223333:role/admins", `arn:aws:iam::${MOCK_ACCOUNT}:role/ci/${MOCK_DEPLOYER_ROLE}`, "arn:aws:iam::111122223333:user/ops"]));
    assert.deepStrictEqual(adminEntriesOf(recorder.resources), [
      ["f-cluster-admin-role-111122223333-admins", "arn:aws:iam::111122223333:role/admins"],
      [`f-cluster-admin-role-${MOCK_ACCOUNT}-${MOCK_DEPLOYER_ROLE}`, `arn:aws:iam::${MOCK_ACCOUNT}:role/ci/${MOCK_DEPLOYER_ROLE}`],
      ["f-cluster-admin-user-111122223333-ops", "arn:aws:iam::111122223333:user/ops"],
    ]);
  });

  it("a deployer not in cluster.admins gets an entry of its own: the role behind its session", async () => {
    const recorder = await runAws(awsConfig());
    assert.deepStrictEqual(adminEntriesOf(recorder.resources), [
      ["f-cluster-admin-role-111122223333-admins", "arn:aws:iam::111122223333:role/admins"],
      [`f-cluster-admin-role-${MOCK_ACCOUNT}-${MOCK_DEPLOYER_ROLE}`, PLAN_DEPLOYER],
    ]);
    const alone = await runAws(withAdmins([]));
    assert.deepStrictEqual(adminEntriesOf(alone.resources), [[`f-cluster-admin-role-${MOCK_ACCOUNT}-${MOCK_DEPLOYER_ROLE}`, PLAN_DEPLOYER]], "no admins configured: the deployer still gets in");
  });

  it("the Kubernetes provider waits for the deployer's entry and policy association, listed or not", async () => {
    for (const admins of [[], [PLAN_DEPLOYER.replace(MOCK_DEPLOYER_ROLE, MOCK_DEPLOYER_ROLE.toUpperCase())]]) {
      const recorder = await runAws(withAdmins(admins));
      const provider = recorder.get("pulumi:providers:kubernetes", "f-cluster-k8s");
      const name = `f-cluster-admin-role-${MOCK_ACCOUNT}-${MOCK_DEPLOYER_ROLE}`;
      assert.ok(provider.dependencies.includes(recorder.get(ACCESS_ENTRY, name).urn), `${admins}: entry`);
      assert.ok(provider.dependencies.includes(recorder.get(ACCESS_POLICY, name).urn), `${admins}: policy association`);
    }
  });

  // A later deploy by another identity (a different CI role, a person) must neither re-create an
  // entry that exists (409) nor rename one (a rename creates the new entry before deleting the old).
  it("deploys by different identities: every principal in both keeps its resource name and inputs", async () => {
    const admins = ["arn:aws:iam::111122223333:role/platform-admins", "arn:aws:iam::111122223333:user/alice"];
    const ci = await deployAs(`arn:aws:sts::${MOCK_ACCOUNT}:assumed-role/${MOCK_DEPLOYER_ROLE}/run-1`, withAdmins(admins));
    const alice = await deployAs("arn:aws:iam::111122223333:user/alice", withAdmins(admins));
    const otherCi = await deployAs(`arn:aws:sts::${MOCK_ACCOUNT}:assumed-role/hotfix-deployer/run-2`, withAdmins([...admins].reverse()));
    const configured = [
      ["f-cluster-admin-role-111122223333-platform-admins", "arn:aws:iam::111122223333:role/platform-admins"],
      ["f-cluster-admin-user-111122223333-alice", "arn:aws:iam::111122223333:user/alice"],
    ];
    const byName = (entries: [string, string][]) => [...entries].sort(([a], [b]) => a.localeCompare(b));
    assert.deepStrictEqual(byName(adminEntriesOf(ci)), byName([...configured, [`f-cluster-admin-role-${MOCK_ACCOUNT}-${MOCK_DEPLOYER_ROLE}`, PLAN_DEPLOYER]] as [string, string][]));
    assert.deepStrictEqual(byName(adminEntriesOf(alice)), byName(configured as [string, string][]), "alice is listed: no second entry");
    assert.deepStrictEqual(
      byName(adminEntriesOf(otherCi)),
      byName([...configured, [`f-cluster-admin-role-${MOCK_ACCOUNT}-hotfix-deployer`, `arn:aws:iam::${MOCK_ACCOUNT}:role/hotfix-deployer`]] as [string, string][]),
      "admins listed in another order keep their names",
    );
    for (const [a, b] of [
      [ci, alice],
      [ci, otherCi],
      [alice, otherCi],
    ]) {
      for (const entry of a.filter((r) => r.type === ACCESS_ENTRY || r.type === ACCESS_POLICY)) {
        const same = b.filter((r) => r.type === entry.type && r.inputs.principalArn === entry.inputs.principalArn);
        if (same.length > 0) {
          assert.deepStrictEqual([same.length, same[0].name, same[0].inputs], [1, entry.name, entry.inputs], `${entry.type} ${entry.name}`);
        }
      }
    }
  });

  it("entries make way before a replacement (one entry per principal) and keep their former index names as aliases", async () => {
    const registrations = await deployAs(`arn:aws:sts::${MOCK_ACCOUNT}:assumed-role/${MOCK_DEPLOYER_ROLE}/ci`, withAdmins(["arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b"]));
    const admin = registrations.filter((r) => r.type === ACCESS_ENTRY || r.type === ACCESS_POLICY);
    assert.deepStrictEqual(
      admin.map((r) => [r.type, r.name, r.deleteBeforeReplace, r.aliasNames]).sort(),
      [
        [ACCESS_ENTRY, "f-cluster-admin-role-111122223333-a", true, ["f-cluster-admin-0"]],
        [ACCESS_ENTRY, "f-cluster-admin-role-111122223333-b", true, ["f-cluster-admin-1"]],
        [ACCESS_POLICY, "f-cluster-admin-role-111122223333-a", true, ["f-cluster-admin-0"]],
        [ACCESS_POLICY, "f-cluster-admin-role-111122223333-b", true, ["f-cluster-admin-1"]],
        [ACCESS_ENTRY, `f-cluster-admin-role-${MOCK_ACCOUNT}-${MOCK_DEPLOYER_ROLE}`, true, []],
        [ACCESS_POLICY, `f-cluster-admin-role-${MOCK_ACCOUNT}-${MOCK_DEPLOYER_ROLE}`, true, []],
      ].sort(),
    );
  });
});

describe("EKS cluster admins as plain data", () => {
  it("one key per principal: role paths and case do not matter, accounts and kinds do", () => {
    assert.strictEqual(adminEntryKey("arn:aws:iam::111122223333:role/team/Deploy"), "admin-role-111122223333-deploy");
    assert.strictEqual(adminEntryKey("arn:aws:iam::111122223333:role/deploy"), "admin-role-111122223333-deploy");
    assert.strictEqual(adminEntryKey("arn:aws:iam::111122223333:user/deploy"), "admin-user-111122223333-deploy");
    assert.strictEqual(adminEntryKey("arn:aws:iam::444455556666:role/deploy"), "admin-role-444455556666-deploy");
    assert.strictEqual(adminEntryKey("arn:aws:iam::111122223333:root"), "admin-root-111122223333");
    assert.strictEqual(adminEntryKey("arn:aws-cn:iam::111122223333:role/deploy"), "admin-role-111122223333-deploy");
    assert.throws(() => adminEntryKey("arn:aws:sts::111122223333:assumed-role/deploy/s"), /is not an IAM role, user or account root ARN/);
  });

  it("a principal listed twice gets one entry, under its first spelling and index", () => {
    assert.deepStrictEqual(configuredAdminEntries(["arn:aws:iam::111122223333:role/x", "arn:aws:iam::111122223333:role/ops/Admins", "arn:aws:iam::111122223333:role/admins"]), [
      { key: "admin-role-111122223333-x", principalArn: "arn:aws:iam::111122223333:role/x", formerKeys: ["admin-0"] },
      { key: "admin-role-111122223333-admins", principalArn: "arn:aws:iam::111122223333:role/ops/Admins", formerKeys: ["admin-1"] },
    ]);
  });

  it("the deployer joins the admins unless listed; a root deployer is a principal too", () => {
    const admins = ["arn:aws:iam::111122223333:role/ops/admins"];
    assert.deepStrictEqual(deployerEntry(admins, "arn:aws:iam::111122223333:role/Admins"), []);
    assert.deepStrictEqual(deployerEntry(admins, "arn:aws:iam::111122223333:root"), [{ key: "admin-root-111122223333", principalArn: "arn:aws:iam::111122223333:root", formerKeys: [] }]);
    assert.deepStrictEqual(deployerEntry(admins, "arn:aws:iam::111122223333:user/bob"), [{ key: "admin-user-111122223333-bob", principalArn: "arn:aws:iam::111122223333:user/bob", formerKeys: [] }]);
  });

  // aws.iam.getSessionContext returns a federated user's STS ARN unchanged as its issuer, and
  // CreateAccessEntry refuses STS session principals.
  it("a deployer that cannot have an access entry is an error naming it", () => {
    assert.throws(
      () => deployerEntry([], "arn:aws:sts::111122223333:federated-user/bob"),
      /the identity running pulumi resolves to arn:aws:sts::111122223333:federated-user\/bob, which cannot have an EKS access entry.*run pulumi as an IAM role or user/,
    );
  });
});
