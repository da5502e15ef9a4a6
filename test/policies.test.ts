import * as assert from "assert";
import { allPolicies } from "../policies/all";
import {
  gpuBudget, gpuInstanceAllowlist, gpuNodeTaint, gpuOperatorNoDuplicateDriver, gpuRequestsWhole, modelFitsGpus, spotGpuInProd, tensorParallelWithinNode,
} from "../policies/gpu";
import { clusterEndpointRestricted, eksSecretsEncryption, gatewayTls, hfTokenSecret, imdsv2Required } from "../policies/security";
import { cacheAwareRouting } from "../policies/serving";
import {
  hostPathUnderCacheRoot, noNetworkFsWeights, noNodePinnedWeights, nvmeCapacity, restoreTimeSlo, revisionPinned, snapshotBucketProtected, volumesEncrypted,
} from "../policies/storage";
import { PlatformFacts, PLATFORM_TYPE } from "../components/facts";
import { evaluatePolicies, policyConfig, PolicyConfigError } from "../automation/policy/evaluate";
import { loadPackConfig } from "../automation/policy/pack-config";
import { resource, violations } from "./harness/policy";
import { noHostAccess, noOpenIngress } from "../policies/security";
import { noPublicBuckets } from "../policies/storage";
import { iamLeastPrivilege } from "../policies/iam";
import { imageDigestPinned, imagePinned } from "../policies/supply-chain";
import { openToInternet } from "../policies/lib/cidr";
import { normaliseHostPath, underRoots } from "../policies/storage";
import { movingImage, parseImage } from "../policies/lib/images";

const NG = "aws:eks/nodeGroup:NodeGroup";
const taint = { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" };
const gpuGroup = (props: Record<string, unknown> = {}) =>
  resource(NG, { instanceTypes: ["p5.48xlarge"], scalingConfig: { maxSize: 2 }, taints: [taint], amiType: "AL2023_x86_64_NVIDIA", capacityType: "ON_DEMAND", ...props });

const facts = (change: (f: { pools: Record<string, unknown>[]; models: Record<string, unknown>[] }) => void = () => {}): PlatformFacts => {
  const f = {
    environment: "t",
    tier: "prod",
    cloud: "existing",
    pools: [{ name: "h100", instanceType: "p5.48xlarge", gpuModel: "H100-80GB", gpusPerNode: 8, gpuMemoryGiB: 79.65, minNodes: 1, maxNodes: 2, capacityType: "on-demand", multiNode: false, nvmeBytes: 30.72e12, nodeLabels: {} }] as Record<string, unknown>[],
    models: [{
      name: "llama", pool: "h100", sourceUri: "hf://meta-llama/Llama-3.1-70B-Instruct", revision: "945c8663693130f8be2ee66210e062158b2a9693",
      architecture: "llama-3.1-70b", replicas: 1, tensorParallel: 4, dataLocal: 1, maxModelLen: 32768, gpuMemoryUtilization: 0.9,
      weightBytes: 141.1e9, checkpointBytes: 141.1e9, kvBytesPerToken: 327680, restoreSeconds: 30,
    }] as Record<string, unknown>[],
  };
  change(f);
  return f as unknown as PlatformFacts;
};
const platform = (f: PlatformFacts) => resource(PLATFORM_TYPE, { facts: f }, { custom: false });

const gpuPod = (spec: Record<string, unknown> = {}) => ({
  containers: [{ name: "vllm", resources: { limits: { "nvidia.com/gpu": "4" }, requests: { "nvidia.com/gpu": "4" } } }],
  tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
  nodeSelector: { "llm-platform.io/pool": "h100" },
  ...spec,
});
const deployment = (podSpec: Record<string, unknown>) =>
  resource("kubernetes:apps/v1:Deployment", { metadata: { name: "d", namespace: "m" }, spec: { template: { spec: podSpec } } });
const llmisvc = (spec: Record<string, unknown>) =>
  resource("kubernetes:serving.kserve.io/v1alpha2:LLMInferenceService", { metadata: { name: "llama", namespace: "m" }, spec });

describe("policy pack", () => {
  it("has unique names, a description and a default level for every policy", () => {
    const names = allPolicies.map((p) => p.name);
    assert.strictEqual(new Set(names).size, names.length);
    for (const p of allPolicies) {
      assert.ok(p.description.length > 20, p.name);
      assert.ok(p.enforcementLevel, p.name);
    }
  });

  describe("gpu-node-taint", () => {
    it("passes a tainted GPU node group and ignores CPU groups", async () => {
      assert.deepStrictEqual(await violations(gpuNodeTaint, [gpuGroup(), resource(NG, { instanceTypes: ["m7i.large"] })]), []);
    });
    it("fails an untainted EKS group and GKE pool", async () => {
      const gke = resource("gcp:container/nodePool:NodePool", { nodeConfig: { machineType: "a3-highgpu-8g", taints: [] }, autoscaling: { maxNodeCount: 2 } });
      const v = await violations(gpuNodeTaint, [gpuGroup({ taints: [] }), gke]);
      assert.strictEqual(v.length, 2);
      assert.match(v[0], /has no nvidia.com\/gpu NoSchedule taint/);
    });
  });

  describe("gpu-instance-allowlist", () => {
    it("passes allowed types", async () => {
      assert.deepStrictEqual(await violations(gpuInstanceAllowlist, [gpuGroup(), platform(facts())], { allowedTypes: ["p5.48xlarge"] }), []);
    });
    it("fails a type outside the list, on node groups and platform pools", async () => {
      const v = await violations(gpuInstanceAllowlist, [gpuGroup(), platform(facts())], { allowedTypes: ["g6.xlarge"] });
      assert.strictEqual(v.length, 2);
      assert.match(v[0], /GPU type p5.48xlarge .* is not allowed in this tier \(allowed: g6.xlarge\)/);
    });
  });

  describe("gpu-budget", () => {
    it("passes within budget", async () => {
      assert.deepStrictEqual(await violations(gpuBudget, [gpuGroup()], { maxGpus: 16 }), []);
    });
    it("fails above budget, counting platform pools on existing clusters", async () => {
      assert.match((await violations(gpuBudget, [gpuGroup({ scalingConfig: { maxSize: 3 } })], { maxGpus: 16 }))[0], /reaches 24 GPUs at max scale .* above the tier budget of 16/);
      assert.match((await violations(gpuBudget, [platform(facts())], { maxGpus: 8 }))[0], /reaches 16 GPUs/);
    });
  });

  describe("gpu-requests-whole", () => {
    it("passes a whole, equal, tolerating, pool-selecting GPU pod", async () => {
      assert.deepStrictEqual(await violations(gpuRequestsWhole, [deployment(gpuPod()), llmisvc({ template: gpuPod() })]), []);
    });
    it("fails fractional GPUs, request ≠ limit, missing toleration and missing pool selector", async () => {
      const bad = gpuPod({
        containers: [{ name: "vllm", resources: { limits: { "nvidia.com/gpu": "0.5" }, requests: { "nvidia.com/gpu": "1" } } }],
        tolerations: [],
        nodeSelector: {},
      });
      const v = await violations(gpuRequestsWhole, [deployment(bad)]);
      assert.strictEqual(v.length, 4, v.join("\n"));
      assert.match(v.join("\n"), /must be a whole number/);
      assert.match(v.join("\n"), /differs from limit/);
      assert.match(v.join("\n"), /does not tolerate nvidia.com\/gpu:NoSchedule/);
      assert.match(v.join("\n"), /without selecting a GPU pool/);
    });
  });

  describe("model-fits-gpus", () => {
    it("passes a 70B model at TP=4 on H100", async () => {
      assert.deepStrictEqual(await violations(modelFitsGpus, [platform(facts())]), []);
    });
    it("fails the same model at TP=1", async () => {
      const v = await violations(modelFitsGpus, [platform(facts((f) => (f.models[0].tensorParallel = 1)))]);
      assert.match(v[0], /model llama does not fit pool h100 \(H100-80GB\) at tensorParallel 1: weights need 131.4 GiB/);
    });
  });

  describe("tensor-parallel-within-node", () => {
    it("passes within a node, and across nodes of a multi-node pool", async () => {
      assert.deepStrictEqual(await violations(tensorParallelWithinNode, [platform(facts())]), []);
      const multi = facts((f) => ((f.models[0].tensorParallel = 16), (f.pools[0].multiNode = true)));
      assert.deepStrictEqual(await violations(tensorParallelWithinNode, [platform(multi)]), []);
    });
    it("fails 16 GPUs per replica on 8-GPU nodes", async () => {
      const v = await violations(tensorParallelWithinNode, [platform(facts((f) => (f.models[0].tensorParallel = 16)))]);
      assert.match(v[0], /needs 16 GPUs per replica but pool h100 nodes have 8/);
    });
  });

  describe("gpu-operator-no-duplicate-driver", () => {
    const operator = (values: Record<string, unknown>) => resource("kubernetes:helm.sh/v3:Release", { chart: "gpu-operator", values });
    it("passes driver and toolkit off on AL2023 NVIDIA nodes", async () => {
      assert.deepStrictEqual(await violations(gpuOperatorNoDuplicateDriver, [gpuGroup(), operator({ driver: { enabled: false }, toolkit: { enabled: false } })]), []);
    });
    it("fails a driver and toolkit on AL2023 NVIDIA, and a device plugin on Bottlerocket", async () => {
      assert.strictEqual((await violations(gpuOperatorNoDuplicateDriver, [gpuGroup(), operator({})])).length, 2);
      const br = gpuGroup({ amiType: "BOTTLEROCKET_x86_64_NVIDIA" });
      const v = await violations(gpuOperatorNoDuplicateDriver, [br, operator({ driver: { enabled: false }, toolkit: { enabled: false } })]);
      assert.deepStrictEqual(v.map((m) => /devicePlugin.enabled/.test(m)), [true]);
    });
    it("does not apply without a GPU Operator release", async () => {
      assert.deepStrictEqual(await violations(gpuOperatorNoDuplicateDriver, [gpuGroup()]), []);
    });
  });

  describe("spot-gpu-in-prod", () => {
    it("passes on-demand", async () => {
      assert.deepStrictEqual(await violations(spotGpuInProd, [gpuGroup(), platform(facts())]), []);
    });
    it("flags spot node groups and spot pools", async () => {
      assert.strictEqual((await violations(spotGpuInProd, [gpuGroup({ capacityType: "SPOT" }), platform(facts((f) => (f.pools[0].capacityType = "spot")))])).length, 2);
    });
  });

  describe("no-network-fs-weights", () => {
    it("passes a serving pod on hostPath cache", async () => {
      const pod = gpuPod({ volumes: [{ name: "models", hostPath: { path: "/mnt/k8s-disks/0/llm-platform/models" } }] });
      assert.deepStrictEqual(await violations(noNetworkFsWeights, [llmisvc({ template: pod })]), []);
    });
    it("fails NFS, EFS CSI and a claim on an EFS storage class", async () => {
      const pod = gpuPod({
        volumes: [
          { name: "nfs", nfs: { server: "fs", path: "/models" } },
          { name: "efs", csi: { driver: "efs.csi.aws.com" } },
          { name: "pvc", persistentVolumeClaim: { claimName: "weights" } },
        ],
      });
      const sc = resource("kubernetes:storage.k8s.io/v1:StorageClass", { metadata: { name: "efs-sc" }, provisioner: "efs.csi.aws.com" });
      const pvc = resource("kubernetes:core/v1:PersistentVolumeClaim", { metadata: { name: "weights" }, spec: { storageClassName: "efs-sc" } });
      const v = await violations(noNetworkFsWeights, [sc, pvc, llmisvc({ template: pod })]);
      assert.strictEqual(v.length, 3, v.join("\n"));
    });
  });

  describe("no-node-pinned-weights", () => {
    it("passes a stack without claims or local volumes", async () => {
      assert.deepStrictEqual(await violations(noNodePinnedWeights, [llmisvc({ template: gpuPod() })]), []);
    });
    it("fails a local PV and a serving pod on a local-path claim", async () => {
      const pv = resource("kubernetes:core/v1:PersistentVolume", { metadata: { name: "pv" }, spec: { local: { path: "/mnt/disk" } } });
      const sc = resource("kubernetes:storage.k8s.io/v1:StorageClass", { metadata: { name: "local" }, provisioner: "rancher.io/local-path" });
      const pvc = resource("kubernetes:core/v1:PersistentVolumeClaim", { metadata: { name: "w" }, spec: { storageClassName: "local" } });
      const pod = gpuPod({ volumes: [{ name: "w", persistentVolumeClaim: { claimName: "w" } }] });
      const v = await violations(noNodePinnedWeights, [pv, sc, pvc, deployment(pod)]);
      assert.strictEqual(v.length, 2, v.join("\n"));
      assert.match(v[0], /is pinned to a node \(local \/mnt\/disk\)/);
    });
  });

  describe("host-path-under-cache-root", () => {
    const pod = (path: string, readOnly: boolean) =>
      gpuPod({
        volumes: [{ name: "models", hostPath: { path } }],
        initContainers: [{ name: "restore", volumeMounts: [{ name: "models", mountPath: "/cache" }] }],
        containers: [{ name: "main", resources: { limits: { "nvidia.com/gpu": "1" } }, volumeMounts: [{ name: "models", mountPath: "/mnt/models", readOnly }] }],
      });
    it("passes a read-only cache mount (the restore init container may write)", async () => {
      assert.deepStrictEqual(await violations(hostPathUnderCacheRoot, [llmisvc({ template: pod("/mnt/k8s-disks/0/llm-platform/models/llama/abc", true) })]), []);
    });
    it("fails a host path outside the root and a writable serving mount", async () => {
      const v = await violations(hostPathUnderCacheRoot, [llmisvc({ template: pod("/var/lib/models", false) })]);
      assert.strictEqual(v.length, 2, v.join("\n"));
      assert.match(v[0], /outside the model-cache roots/);
      assert.match(v[1], /mounts host volume models writable/);
    });
  });

  describe("nvme-capacity", () => {
    it("passes when weights × headroom fit the NVMe", async () => {
      assert.deepStrictEqual(await violations(nvmeCapacity, [platform(facts())]), []);
    });
    it("fails when they do not", async () => {
      const v = await violations(nvmeCapacity, [platform(facts((f) => (f.pools[0].nvmeBytes = 100e9)))], { headroom: 1.2 });
      assert.match(v[0], /needing 169 GB with 1.2× headroom but has 100 GB/);
    });
    it("counts the checkpoint as stored, not the precision it is served in", async () => {
      // A bf16 checkpoint served as fp8 still occupies its full 141 GB on the node.
      const served = facts((f) => {
        f.pools[0].nvmeBytes = 160e9;
        f.models[0].weightBytes = 70.5e9;
      });
      const v = await violations(nvmeCapacity, [platform(served)], { headroom: 1.2 });
      assert.match(v[0], /needing 169 GB with 1.2× headroom but has 160 GB/);
    });
  });

  describe("snapshot-bucket-protected", () => {
    const bucket = resource("aws:s3/bucket:Bucket", { tags: { "llm-platform.io/role": "snapshot-store" } }, { name: "snap" });
    const dep = (type: string, props: Record<string, unknown>) => resource(type, props, { dependencies: [bucket.urn] });
    it("passes a private, encrypted, versioned bucket", async () => {
      const rs = [
        bucket,
        dep("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }),
        dep("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", { rules: [] }),
        dep("aws:s3/bucketVersioning:BucketVersioning", { versioningConfiguration: { status: "Enabled" } }),
        resource("gcp:storage/bucket:Bucket", { labels: { "llm-platform-role": "snapshot-store" }, publicAccessPrevention: "enforced", uniformBucketLevelAccess: true, versioning: { enabled: true } }),
      ];
      assert.deepStrictEqual(await violations(snapshotBucketProtected, rs), []);
    });
    it("fails a bare bucket on every count, and an open GCS bucket", async () => {
      const gcs = resource("gcp:storage/bucket:Bucket", { labels: { "llm-platform-role": "snapshot-store" } });
      assert.strictEqual((await violations(snapshotBucketProtected, [bucket, gcs])).length, 5);
    });
  });

  describe("volumes-encrypted", () => {
    it("passes encrypted devices", async () => {
      const lt = resource("aws:ec2/launchTemplate:LaunchTemplate", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true" } }] });
      assert.deepStrictEqual(await violations(volumesEncrypted, [lt, resource("aws:ebs/volume:Volume", { encrypted: true })]), []);
    });
    it("fails unencrypted ones", async () => {
      const lt = resource("aws:ec2/launchTemplate:LaunchTemplate", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 200 } }] });
      assert.strictEqual((await violations(volumesEncrypted, [lt, resource("aws:ebs/volume:Volume", {})])).length, 2);
    });
  });

  describe("restore-time-slo", () => {
    it("passes within the objective and fails beyond it", async () => {
      assert.deepStrictEqual(await violations(restoreTimeSlo, [platform(facts())], { maxRestoreSeconds: 60 }), []);
      assert.match((await violations(restoreTimeSlo, [platform(facts())], { maxRestoreSeconds: 20 }))[0], /takes an estimated 30 s .* above the 20 s objective/);
    });
  });

  describe("model-revision-pinned", () => {
    it("passes a commit hash, fails a branch and a missing revision", async () => {
      assert.deepStrictEqual(await violations(revisionPinned, [platform(facts())]), []);
      const branch = facts((f) => (f.models[0].revision = "main"));
      assert.match((await violations(revisionPinned, [platform(branch)]))[0], /revision "main" is not a commit hash/);
      const none = facts((f) => delete f.models[0].revision);
      assert.match((await violations(revisionPinned, [platform(none)]))[0], /revision is not set/);
    });
  });

  describe("imdsv2-required", () => {
    it("passes required tokens, fails optional ones", async () => {
      assert.deepStrictEqual(await violations(imdsv2Required, [resource("aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "required" } })]), []);
      assert.strictEqual((await violations(imdsv2Required, [resource("aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "optional" } })])).length, 1);
    });
  });

  describe("cluster-endpoint-restricted", () => {
    it("passes restricted or private endpoints", async () => {
      const rs = [
        resource("aws:eks/cluster:Cluster", { vpcConfig: { endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] } }),
        resource("eks:index:Cluster", { endpointPublicAccess: false }),
        resource("gcp:container/cluster:Cluster", { masterAuthorizedNetworksConfig: { cidrBlocks: [{ cidrBlock: "10.0.0.0/8" }] } }),
      ];
      assert.deepStrictEqual(await violations(clusterEndpointRestricted, rs), []);
    });
    it("fails endpoints open to 0.0.0.0/0", async () => {
      const rs = [
        resource("aws:eks/cluster:Cluster", { vpcConfig: {} }),
        resource("eks:index:Cluster", { publicAccessCidrs: ["0.0.0.0/0"] }),
        resource("gcp:container/cluster:Cluster", {}),
      ];
      assert.strictEqual((await violations(clusterEndpointRestricted, rs)).length, 3);
    });
  });

  describe("eks-secrets-encryption", () => {
    it("passes KMS-encrypted secrets, fails without", async () => {
      assert.deepStrictEqual(await violations(eksSecretsEncryption, [resource("aws:eks/cluster:Cluster", { encryptionConfig: { resources: ["secrets"] } })]), []);
      assert.strictEqual((await violations(eksSecretsEncryption, [resource("aws:eks/cluster:Cluster", {}), resource("eks:index:Cluster", {})])).length, 2);
    });
  });

  describe("hf-token-secret", () => {
    it("passes a token from a Secret", async () => {
      const pod = gpuPod({ containers: [{ name: "seed", env: [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf", key: "token" } } }] }] });
      assert.deepStrictEqual(await violations(hfTokenSecret, [deployment(pod)]), []);
    });
    it("fails a literal token in env and in a ConfigMap", async () => {
      const pod = gpuPod({ containers: [{ name: "seed", env: [{ name: "HF_TOKEN", value: "hf_abc" }] }] });
      const cm = resource("kubernetes:core/v1:ConfigMap", { data: { token: `hf_${"a".repeat(34)}` } });
      assert.strictEqual((await violations(hfTokenSecret, [deployment(pod), cm])).length, 2);
    });
  });

  describe("internet-gateway-tls", () => {
    const gw = (labels: Record<string, string>, protocol: string) =>
      resource("kubernetes:gateway.networking.k8s.io/v1:Gateway", { metadata: { name: "gw", labels }, spec: { gatewayClassName: "eg", listeners: [{ name: "l", port: 443, protocol }] } });
    it("passes HTTPS internet gateways and internal HTTP ones", async () => {
      assert.deepStrictEqual(await violations(gatewayTls, [gw({ "llm-platform.io/exposure": "internet" }, "HTTPS"), gw({}, "HTTP")]), []);
    });
    it("fails an internet-facing HTTP listener", async () => {
      assert.match((await violations(gatewayTls, [gw({ "llm-platform.io/exposure": "internet" }, "HTTP")]))[0], /is internet-facing but listener l speaks HTTP/);
    });
  });

  describe("cache-aware-routing", () => {
    const epp = (scorers: string[]) =>
      [
        "apiVersion: llm-d.ai/v1alpha1",
        "kind: EndpointPickerConfig",
        "plugins:",
        ...scorers.map((s) => `- type: ${s}`),
        "schedulingProfiles:",
        "- name: default",
        "  plugins:",
        ...scorers.map((s) => `  - pluginRef: ${s}\n    weight: 2`),
      ].join("\n");
    const router = resource("kubernetes:helm.sh/v3:Release", { chart: "llm-d-router-gateway", values: { inferencePool: { name: "llama-pool" }, epp: { config: epp(["prefix-cache-scorer", "queue-scorer"]) } } });
    it("passes a service routed through a pool whose picker scores prefix-cache hits", async () => {
      assert.deepStrictEqual(await violations(cacheAwareRouting, [router, llmisvc({ router: { scheduler: { pool: { ref: { name: "llama-pool" } } } } })]), []);
    });
    it("fails a service without a scheduler, and one whose picker lacks the scorer", async () => {
      const queueOnly = resource("kubernetes:helm.sh/v3:Release", { values: { inferencePool: { name: "q-pool" }, epp: { config: epp(["queue-scorer"]) } } });
      const v = await violations(cacheAwareRouting, [
        queueOnly,
        llmisvc({ router: {} }),
        llmisvc({ router: { scheduler: { pool: { ref: { name: "q-pool" } } } } }),
      ]);
      assert.strictEqual(v.length, 2, v.join("\n"));
      assert.match(v[0], /has no router.scheduler/);
      assert.match(v[1], /no prefix-cache scorer/);
    });
  });

  describe("parsed CIDRs and host paths", () => {
    it("judges CIDR lists by the public addresses they cover", () => {
      assert.match(openToInternet(["0.0.0.0/1", "128.0.0.0/1"]) ?? "", /cover the whole IPv4 internet/);
      assert.match(openToInternet(["::ffff:0:0/96"]) ?? "", /whole IPv4 internet/);
      assert.match(openToInternet(["::/0"]) ?? "", /IPv6/);
      assert.match(openToInternet(["8.0.0.0/8"]) ?? "", /more than a \/16/);
      assert.match(openToInternet(["0.0.0.0/0x"]) ?? "", /is not a CIDR/);
      assert.strictEqual(openToInternet(["10.0.0.0/8", "192.168.0.0/16", "203.0.113.0/24"]), undefined);
    });
    it("normalises host paths before comparing them with the roots", () => {
      assert.strictEqual(normaliseHostPath("/mnt/k8s-disks/0/llm-platform/../../../etc/"), "/mnt/etc");
      assert.ok(underRoots("/mnt/k8s-disks/0/llm-platform/./models", ["/mnt/k8s-disks/0/llm-platform/"]));
      assert.ok(!underRoots("/mnt/k8s-disks/0/llm-platform-other", ["/mnt/k8s-disks/0/llm-platform"]));
      assert.ok(!underRoots("/mnt/k8s-disks/0/llm-platform/../secrets", ["/mnt/k8s-disks/0/llm-platform"]));
    });
    it("reads image references with registry ports, tags and digests", () => {
      assert.deepStrictEqual(parseImage("registry:5000/team/app"), { repository: "registry:5000/team/app", tag: undefined, digest: undefined });
      assert.match(movingImage("registry:5000/team/app", false) ?? "", /no tag/);
      assert.strictEqual(movingImage("app:1.2", false), undefined);
      assert.match(movingImage("app:1.2", true) ?? "", /not by digest/);
      assert.strictEqual(movingImage(`app:1.2@sha256:${"0".repeat(64)}`, true), undefined);
    });
  });

  describe("no-open-ingress", () => {
    it("passes private sources, fails security-group rules that add up to the internet", async () => {
      const rule = (cidrIpv4: string) => resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-1", cidrIpv4 });
      assert.deepStrictEqual(await violations(noOpenIngress, [rule("10.0.0.0/8")], { minPrefixV4: 16, minPrefixV6: 32 }), []);
      const v = await violations(noOpenIngress, [rule("0.0.0.0/1"), rule("128.0.0.0/1")], { minPrefixV4: 16, minPrefixV6: 32 });
      assert.strictEqual(v.length, 1, v.join("\n"));
      assert.match(v[0], /admit traffic from the internet: 0.0.0.0\/1 \+ 128.0.0.0\/1 cover the whole IPv4 internet/);
    });
  });

  describe("no-host-access", () => {
    const pod = (spec: Record<string, unknown>) => resource("kubernetes:core/v1:Pod", { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "x:1" }], ...spec } });
    it("passes a pod on the cache root, fails host namespaces, privilege, capabilities and escaping host paths", async () => {
      assert.deepStrictEqual(await violations(noHostAccess, [pod({ volumes: [{ name: "h", hostPath: { path: "/mnt/k8s-disks/0/llm-platform" } }] })]), []);
      const v = await violations(noHostAccess, [
        pod({ hostNetwork: true, hostPID: true, containers: [{ name: "c", securityContext: { privileged: true, capabilities: { add: ["CAP_NET_ADMIN"] } } }], volumes: [{ name: "h", hostPath: { path: "/mnt/k8s-disks/0/llm-platform/../.." } }] }),
      ]);
      assert.strictEqual(v.length, 5, v.join("\n"));
      assert.match(v.join("\n"), /resolved \/mnt\/k8s-disks\)/);
      assert.match(v.join("\n"), /adds capabilities NET_ADMIN/);
    });
    it("skips exempt namespaces", async () => {
      const r = resource("kubernetes:core/v1:Pod", { metadata: { name: "p", namespace: "kube-system" }, spec: { hostNetwork: true, containers: [] } });
      assert.deepStrictEqual(await violations(noHostAccess, [r], { exemptNamespaces: ["kube-system"] }), []);
    });
  });

  describe("no-public-buckets", () => {
    it("passes a Deny-* policy, fails public ACLs, open policies and allUsers", async () => {
      const deny = resource("aws:s3/bucketPolicy:BucketPolicy", { bucket: "b", policy: JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }] }) });
      assert.deepStrictEqual(await violations(noPublicBuckets, [deny]), []);
      const v = await violations(noPublicBuckets, [
        resource("aws:s3/bucket:Bucket", { bucket: "b", acl: "public-read" }),
        resource("aws:s3/bucketPolicy:BucketPolicy", { bucket: "b", policy: { Statement: { Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: "*" } } }),
        resource("gcp:storage/bucketIAMMember:BucketIAMMember", { bucket: "g", role: "roles/storage.objectViewer", member: "allUsers" }),
      ]);
      assert.strictEqual(v.length, 3, v.join("\n"));
    });
  });

  describe("iam-least-privilege", () => {
    const config = { deniedManagedPolicies: ["AdministratorAccess"], deniedGcpRoles: ["roles/editor"] };
    it("passes named actions on named resources and Describe on *", async () => {
      const ok = resource("aws:iam/rolePolicy:RolePolicy", { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }, { Effect: "Allow", Action: "ec2:Describe*", Resource: "*" }] }) });
      assert.deepStrictEqual(await violations(iamLeastPrivilege, [ok], config), []);
    });
    it("fails wildcard actions, * resources, NotAction, admin attachments and broad GCP roles", async () => {
      const v = await violations(iamLeastPrivilege, [
        resource("aws:iam/policy:Policy", { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b" }, { Effect: "Allow", Action: "s3:PutObject", Resource: "*" }, { Effect: "Allow", NotAction: "iam:*", Resource: "*" }] }) }),
        resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
        resource("gcp:projects/iAMMember:IAMMember", { role: "roles/editor", member: "user:a@b.c" }),
      ], config);
      assert.strictEqual(v.length, 5, v.join("\n"));
    });
  });

  describe("image-pinned and image-digest-pinned", () => {
    const pod = (image: string) => resource("kubernetes:core/v1:Pod", { metadata: { name: "p" }, spec: { containers: [{ name: "c", image }] } });
    it("passes versioned tags, fails :latest and untagged images", async () => {
      assert.deepStrictEqual(await violations(imagePinned, [pod("app:1.2")]), []);
      assert.strictEqual((await violations(imagePinned, [pod("app:latest"), pod("app")])).length, 2);
    });
    it("asks for a digest where configured", async () => {
      assert.strictEqual((await violations(imagePinned, [pod("app:1.2")], { requireDigest: true })).length, 1);
      assert.strictEqual((await violations(imageDigestPinned, [pod("app:1.2"), pod(`app:1.2@sha256:${"0".repeat(64)}`)])).length, 1);
    });
  });

  describe("offline evaluation", () => {
    it("applies schema defaults, levels from strings, and rejects bad config", () => {
      assert.deepStrictEqual(policyConfig(gpuBudget, {}), { level: "mandatory", config: { maxGpus: 64 } });
      assert.deepStrictEqual(policyConfig(gpuBudget, { "gpu-budget": "advisory" }), { level: "advisory", config: { maxGpus: 64 } });
      assert.throws(() => policyConfig(gpuBudget, { "gpu-budget": { maxGpus: -1 } }), /gpu-budget config: \/maxGpus must be >= 0/);
      assert.throws(() => policyConfig(gpuBudget, { "gpu-budget": { maxGPUs: 4 } }), PolicyConfigError);
      assert.throws(() => policyConfig(imdsv2Required, { "imdsv2-required": { x: 1 } }), /takes no config/);
    });
    it("rejects pack configs naming unknown policies and skips disabled ones", async () => {
      await assert.rejects(evaluatePolicies(allPolicies, [], { "gpu-budjet": "advisory" }), /unknown policies: gpu-budjet/);
      const report = await evaluatePolicies([gpuNodeTaint], [gpuGroup({ taints: [] })], { "gpu-node-taint": "disabled" });
      assert.deepStrictEqual(report.violations, []);
      assert.deepStrictEqual(report.evaluated, []);
    });
    it("every tier config is valid for the pack", async () => {
      for (const tier of ["dev", "staging", "prod"]) {
        const report = await evaluatePolicies(allPolicies, [], loadPackConfig(tier).config);
        assert.ok(report.evaluated.length >= 18, tier);
      }
    });
  });
});
