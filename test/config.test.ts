import * as assert from "assert";
import { ConfigError, parsePlatformConfig, validatePlatformConfig, PlatformInput, GPU_TAINT } from "../components/config";
import { expectIssue, issuesOf } from "./harness/config-issues";
import { baseConfig } from "./harness/fixtures";

function withPool(change: (pool: ReturnType<typeof baseConfig>["gpuPools"][number]) => void): PlatformInput {
  const config = baseConfig();
  change(config.gpuPools[0]);
  return config;
}

function withModel(change: (model: ReturnType<typeof baseConfig>["models"][number]) => void, index = 0): PlatformInput {
  const config = baseConfig();
  change(config.models[index]);
  return config;
}

describe("platform config", () => {
  describe("defaults", () => {
    it("fills every default and resolves pools and models", () => {
      const config = parsePlatformConfig(baseConfig());
      assert.strictEqual(config.modelsNamespace, "llm-models");
      assert.strictEqual(config.cluster.kubernetesVersion, "1.33");
      const [h100, l4] = config.gpuPools;
      assert.deepStrictEqual(
        { capacityType: h100.capacityType, nvme: h100.nvme, mount: h100.nvmeMountPath, desired: h100.desiredNodes, multiNode: h100.multiNode },
        { capacityType: "on-demand", nvme: "raid0", mount: "/mnt/k8s-disks/0", desired: 1, multiNode: false },
      );
      assert.deepStrictEqual(h100.nodeLabels, { "llm-platform.io/pool": "h100" });
      assert.deepStrictEqual(h100.taints, [GPU_TAINT]);
      assert.strictEqual(h100.hardware.gpusPerNode, 8);
      assert.strictEqual(h100.hardware.gpuModel, "H100-80GB");
      assert.strictEqual(l4.hardware.gpuModel, "L4");
      const [llama, qwen] = config.models;
      assert.strictEqual(llama.replicas, 1);
      assert.strictEqual(llama.dataLocal, 1);
      assert.strictEqual(llama.gpuMemoryUtilization, 0.9);
      assert.strictEqual(llama.kvCacheDtype, "auto");
      assert.strictEqual(llama.gpusPerReplica, 4);
      assert.strictEqual(llama.architectureName, "llama-3.1-70b");
      assert.strictEqual(qwen.dtype, "fp8");
      assert.ok(llama.memory.kvCacheTokens > 32768);
    });

    it("defaults the cluster name from the environment and maxModelLen to min(8192, model max)", () => {
      const raw = baseConfig();
      delete raw.cluster;
      delete raw.models[1].maxModelLen;
      const config = parsePlatformConfig(raw);
      assert.strictEqual(config.cluster.name, "test-llm");
      assert.strictEqual(config.models[1].maxModelLen, 8192);
    });

    it("defaults nvme to none on a node type without local NVMe", () => {
      const raw = baseConfig();
      raw.gpuPools[1] = { name: "l4", instanceType: "a2-highgpu-1g", maxNodes: 4 };
      raw.models[1].architecture = "qwen3-8b";
      const config = parsePlatformConfig(raw);
      assert.strictEqual(config.gpuPools[1].nvme, "none");
    });

    it("accepts an explicit architecture and described hardware on an existing cluster", () => {
      const raw = baseConfig();
      raw.gpuPools.push({
        name: "lab",
        hardware: { gpuModel: "RTX-6000-Ada", gpusPerNode: 2, gpuMemoryGiB: 48, networkGbps: 25, localNvme: { devices: 1, gbPerDevice: 2000 } },
        maxNodes: 1,
      });
      raw.models.push({
        name: "custom",
        source: { uri: "s3://bucket/custom" },
        pool: "lab",
        architecture: { paramsB: 7, layers: 32, kvHeads: 8, headDim: 128, dtype: "bf16", maxContext: 32768 },
      });
      const config = parsePlatformConfig(raw);
      const lab = config.gpuPools[2];
      assert.strictEqual(lab.hardware.gpusPerNode, 2);
      assert.strictEqual(lab.hardware.localNvme?.writeMBpsPerDevice, 1000);
      assert.strictEqual(lab.nvme, "raid0");
      assert.strictEqual(config.models[2].architectureName, "custom");
    });

    it("allows a replica to span nodes of a multi-node pool", () => {
      const raw = baseConfig();
      raw.gpuPools[0].multiNode = true;
      raw.models[0] = { ...raw.models[0], name: "llama-405b", architecture: "llama-3.1-405b", dtype: "fp8", tensorParallel: 8, dataLocal: 2 };
      const config = parsePlatformConfig(raw);
      assert.strictEqual(config.models[0].gpusPerReplica, 16);
      assert.strictEqual(config.models[0].multiNode, true);
    });
  });

  describe("rejects", () => {
    it("names that are not DNS-1123 labels", () => {
      expectIssue(withModel((m) => (m.name = "Llama_70B")), "models[0].name", /DNS-1123/);
      expectIssue(withPool((p) => (p.name = "-h100")), "gpuPools[0].name", /DNS-1123/);
      expectIssue({ ...baseConfig(), environment: { name: "Prod", tier: "prod" } }, "environment.name", /DNS-1123/);
      expectIssue({ ...baseConfig(), modelsNamespace: "models.ns" }, "modelsNamespace", /DNS-1123/);
    });

    it("names too long for the names derived from them", () => {
      expectIssue(withModel((m) => (m.name = "m".repeat(43))), "models[0].name", /at most 42/);
      expectIssue(withPool((p) => (p.name = "p".repeat(25))), "gpuPools[0].name", /at most 24/);
    });

    it("duplicate pool and model names, pointing at the first use", () => {
      const raw = baseConfig();
      raw.gpuPools.push({ ...raw.gpuPools[0] });
      raw.models.push({ ...raw.models[1] });
      const issues = issuesOf(raw);
      assert.deepStrictEqual(
        issues.filter((i) => i.path.endsWith(".name")),
        [
          { path: "gpuPools[2].name", message: '"h100" is already used by gpuPools[0]' },
          { path: "models[2].name", message: '"qwen3-8b" is already used by models[1]' },
        ],
      );
    });

    it("a model on a pool that does not exist", () => {
      expectIssue(withModel((m) => (m.pool = "a100")), "models[0].pool", /"a100" is not a GPU pool \(pools: h100, l4\)/);
    });

    it("tensorParallel × dataLocal above the GPUs of a node", () => {
      expectIssue(withModel((m) => (m.tensorParallel = 16)), "models[0].tensorParallel", /16 × dataLocal 1 = 16 GPUs exceeds the 8 GPUs per node of pool "h100"/);
      expectIssue(withModel((m) => ((m.tensorParallel = 4), (m.dataLocal = 4))), "models[0].tensorParallel", /= 16 GPUs exceeds the 8/);
    });

    it("a multi-node replica that does not fill whole nodes or needs more nodes than the pool has", () => {
      const uneven = withModel((m) => ((m.tensorParallel = 4), (m.dataLocal = 3)));
      (uneven.gpuPools as { multiNode?: boolean }[])[0].multiNode = true;
      expectIssue(uneven, "models[0].tensorParallel", /12 GPUs per replica must be a multiple of the 8 GPUs per node/);
      const tooBig = withModel((m) => ((m.tensorParallel = 8), (m.dataLocal = 4)));
      (tooBig.gpuPools as { multiNode?: boolean }[])[0].multiNode = true;
      expectIssue(tooBig, "models[0].tensorParallel", /needs 4 nodes but pool "h100" has at most 2/);
      const wideTp = withModel((m) => (m.tensorParallel = 16));
      (wideTp.gpuPools as { multiNode?: boolean }[])[0].multiNode = true;
      expectIssue(wideTp, "models[0].tensorParallel", /16 exceeds the 8 GPUs of one node; multi-node replicas span nodes with dataLocal/);
    });

    it("instance types the catalog does not know, or of the other cloud", () => {
      expectIssue(withPool((p) => (p.instanceType = "p9.48xlarge")), "gpuPools[0].instanceType", /"p9.48xlarge" is not in the GPU catalog .*or describe the node with `hardware`/);
      const aws = { ...baseConfig(), cloud: { provider: "aws" as const, region: "us-east-1" } };
      aws.gpuPools[0].instanceType = "a3-highgpu-8g";
      expectIssue(aws, "gpuPools[0].instanceType", /it is a gcp type but cloud.provider is aws/);
    });

    it("a pool with neither instanceType nor hardware, and hardware on a managed cloud", () => {
      expectIssue(withPool((p) => delete p.instanceType), "gpuPools[0].instanceType", /is required/);
      const aws = { ...baseConfig(), cloud: { provider: "aws" as const, region: "us-east-1" } };
      aws.gpuPools[1] = { name: "l4", hardware: { gpuModel: "L4", gpusPerNode: 1, gpuMemoryGiB: 22, networkGbps: 10 } };
      expectIssue(aws, "gpuPools[1].hardware", /only for existing clusters/);
    });

    it("counts and fractions out of range", () => {
      expectIssue(withModel((m) => (m.gpuMemoryUtilization = 0)), "models[0].gpuMemoryUtilization", /above 0/);
      expectIssue(withModel((m) => (m.gpuMemoryUtilization = 1.2)), "models[0].gpuMemoryUtilization", /at most 0.98/);
      expectIssue(withModel((m) => (m.replicas = -1)), "models[0].replicas", /too small/i);
      expectIssue(withModel((m) => (m.tensorParallel = 1.5)), "models[0].tensorParallel", /expected int/i);
      expectIssue(withModel((m) => (m.maxModelLen = 100)), "models[0].maxModelLen", /too small/i);
      expectIssue(withPool((p) => (p.maxNodes = 0)), "gpuPools[0].maxNodes", /too small/i);
    });

    it("min above max, and desired outside min..max", () => {
      expectIssue(withPool((p) => ((p.minNodes = 3), (p.maxNodes = 2))), "gpuPools[0].minNodes", /3 is above maxNodes 2/);
      expectIssue(withPool((p) => (p.desiredNodes = 5)), "gpuPools[0].desiredNodes", /5 must be between minNodes 1 and maxNodes 2/);
    });

    it("a missing revision in prod, but not in dev", () => {
      const prod = { ...baseConfig(), environment: { name: "test", tier: "prod" as const } };
      expectIssue(prod, "models[1].source.revision", /required in prod/);
      assert.ok(validatePlatformConfig(baseConfig()).ok);
    });

    it("a model that does not fit its GPUs", () => {
      expectIssue(withModel((m) => (m.tensorParallel = 1)), "models[0].maxModelLen", /llama-3.1-70b does not fit pool "h100" \(H100-80GB\) at tensorParallel 1: weights need 131.4 GiB/);
      expectIssue(withModel((m) => ((m.tensorParallel = 2), (m.maxModelLen = 131072))), "models[0].maxModelLen", /a 131072-token sequence needs 40.0 GiB of KV cache/);
    });

    it("a maxModelLen beyond the model's context", () => {
      expectIssue(withModel((m) => (m.maxModelLen = 65536), 1), "models[1].maxModelLen", /65536 exceeds the model's maximum context of 40960/);
    });

    it("unknown fields, naming each", () => {
      const raw = withModel((m) => Object.assign(m, { tensorParalel: 4 }));
      expectIssue(raw, "models[0].tensorParalel", /is not a known field/);
      expectIssue({ ...baseConfig(), gpus: [] }, "gpus", /is not a known field/);
    });

    it("an unknown architecture, listing the catalog", () => {
      expectIssue(withModel((m) => (m.architecture = "llama-4")), "models[0].architecture", /"llama-4" is not in the model catalog \(known: llama-3.1-8b,/);
      expectIssue(withModel((m) => (m.architecture = { paramsB: 7 } as never)), "models[0].architecture", /catalog model name or an explicit architecture/);
    });

    it("a source URI without a supported scheme", () => {
      expectIssue(withModel((m) => (m.source.uri = "https://example.com/model")), "models[0].source.uri", /hf:\/\//);
    });

    it("cloud settings that do not match the provider", () => {
      const aws = { ...baseConfig(), cloud: { provider: "aws" as const } };
      expectIssue(aws, "cloud.region", /required for aws/);
      const ctx = { ...baseConfig(), cloud: { provider: "gcp" as const, region: "us-central1" }, cluster: { context: "x" } };
      expectIssue(ctx, "cluster.context", /only applies to existing clusters/);
      expectIssue({ ...baseConfig(), cloud: { provider: "aws", region: "us-east-1" } }, "cluster.apiAccess", /is required for a managed cluster/);
    });

    it("raid0 on a node type without local NVMe, and capacity blocks outside AWS", () => {
      expectIssue(withPool((p) => ((p.instanceType = "a2-highgpu-8g"), (p.nvme = "raid0"))), "gpuPools[0].nvme", /a2-highgpu-8g has none/);
      const gcp = { ...baseConfig(), cloud: { provider: "gcp" as const, region: "us-central1" } };
      gcp.gpuPools = [{ name: "h100", instanceType: "a3-highgpu-8g", capacityType: "capacity-block", maxNodes: 2 }];
      gcp.models = [];
      expectIssue(gcp, "gpuPools[0].capacityType", /AWS purchase option/);
    });

    it("more GPUs at full replica count than the pool can ever have", () => {
      expectIssue(withModel((m) => (m.replicas = 5)), "gpuPools[0].maxNodes", /need 20 GPUs at full replica count but 2 node\(s\) × 8 GPUs give 16/);
    });

    it("pools whose node images disagree on what they ship, and images of another cloud", () => {
      const raw = baseConfig();
      raw.gpuPools[0].nodeImage = "bare";
      expectIssue(raw, "gpuPools[1].nodeImage", /"preinstalled" differs from "bare" of pool "h100" in what it ships/);
      const gcp = { ...baseConfig(), cloud: { provider: "gcp" as const, region: "us-central1" } };
      gcp.gpuPools = [{ name: "a3", instanceType: "a3-highgpu-8g", nodeImage: "al2023-nvidia", maxNodes: 1 }];
      gcp.models = [];
      expectIssue(gcp, "gpuPools[0].nodeImage", /"al2023-nvidia" is not a gcp node image \(use gke-cos\)/);
    });

    it("MIG on GPUs without it, and a hostname without an issuer (and the reverse)", () => {
      expectIssue(withPool((p) => ((p.name = "l4x"), (p.instanceType = "g6.xlarge"), (p.gpuSharing = { mode: "mig", profile: "all-1g.10gb" }))), "gpuPools[0].gpuSharing", /MIG needs A100, H100 or H200 GPUs; pool "l4x" has L4/);
      expectIssue({ ...baseConfig(), gateway: { hostname: "llm.example.com" } }, "gateway.issuer", /is required with gateway.hostname/);
      expectIssue({ ...baseConfig(), gateway: { issuer: { name: "le" } } }, "gateway.hostname", /is required with gateway.issuer/);
    });

    it("a config that is not an object at all", () => {
      expectIssue("platform", "(root)", /expected object/i);
    });
  });

  it("reports every problem at once, structural and cross-field together", () => {
    const raw = baseConfig();
    raw.gpuPools.push({ name: "odd", instanceType: "p9.huge" });
    raw.models.push({ ...raw.models[1] }); // duplicate name
    raw.models.push({ name: "lost", source: { uri: "hf://a/b" }, pool: "nope", architecture: "qwen3-8b" });
    raw.models.push({ name: "wide", source: { uri: "hf://a/b" }, pool: "h100", architecture: "llama-3.1-8b", tensorParallel: 16 });
    raw.models.push({ name: "long", source: { uri: "hf://a/b" }, pool: "l4", architecture: "llama-3.1-8b", maxModelLen: 131072 });
    raw.models.push({ name: "Bad_Name", source: { uri: "hf://a/b" }, pool: "l4", architecture: "qwen3-8b" });
    const paths = issuesOf(raw).map((i) => i.path).sort();
    assert.deepStrictEqual(paths, [
      "gpuPools[2].instanceType",
      "models[2].name",
      "models[3].pool",
      "models[4].tensorParallel",
      "models[5].maxModelLen",
      "models[6].name",
    ]);
  });

  it("does not blame a model for a pool whose own entry is malformed", () => {
    const raw = withPool((p) => (p.minNodes = -1));
    const issues = issuesOf(raw);
    assert.deepStrictEqual(issues.map((i) => i.path), ["gpuPools[0].minNodes"]);
  });

  it("throws a ConfigError listing one line per problem", () => {
    const raw = withModel((m) => (m.replicas = -2));
    raw.models![1].pool = "a100";
    assert.throws(
      () => parsePlatformConfig(raw),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.strictEqual(err.issues.length, 2);
        assert.match(err.message, /^llm-platform:platform has 2 problems:\n {2}models\[0\]\.replicas: .*\n {2}models\[1\]\.pool: "a100"/);
        return true;
      },
    );
  });
});
