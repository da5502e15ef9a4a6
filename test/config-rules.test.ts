import * as assert from "assert";
import { GATEWAY_NAMESPACE } from "../components/addons/gateway-manifests";
import { awsRegions, gcpRegions, isKnownRegion, modelCatalog, nearestRegions } from "../components/catalog";
import { parsePlatformConfig, reservedNamespaces, validatePlatformConfig, ConfigIssue } from "../components/config";
import { partialConfig } from "../components/config/partial";
import {
  checkExtraArgs,
  hfUriProblem,
  migInstances,
  parseMigProfile,
  servedDtypeProblem,
  tensorParallelProblem,
} from "../components/config/serving-rules";
import { vllmArgs } from "../components/serving/vllm-args";
import { kvCacheBytesPerToken, replicaMemory } from "../components/sizing";
import { baseConfig } from "./harness/fixtures";

function reported(check: (report: (path: string, message: string) => void) => void): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  check((path, message) => issues.push({ path, message }));
  return issues;
}

describe("serving rules", () => {
  describe("tensor parallelism over the model's heads (vLLM)", () => {
    it("accepts every divisor of the attention heads that splits or replicates the KV heads evenly", () => {
      for (const tp of [1, 2, 4, 8, 16, 32, 64]) {
        assert.strictEqual(tensorParallelProblem(modelCatalog["llama-3.1-70b"], tp), undefined, `tp ${tp}`);
      }
    });
    it("refuses a degree that does not divide the attention heads", () => {
      assert.match(tensorParallelProblem(modelCatalog["qwen3-32b"], 3) ?? "", /does not divide the model's 64 attention heads/);
      assert.match(tensorParallelProblem(modelCatalog["llama-3.1-70b"], 6) ?? "", /64 attention heads/);
    });
    it("refuses a degree below the KV heads that does not divide them", () => {
      assert.match(tensorParallelProblem({ attentionHeads: 40, kvHeads: 10 }, 4) ?? "", /does not divide the model's 10 KV heads/);
    });
    it("refuses a degree above the KV heads that is not a multiple of them", () => {
      assert.match(tensorParallelProblem({ kvHeads: 3 }, 4) ?? "", /not a multiple of the model's 3 KV heads/);
      assert.strictEqual(tensorParallelProblem({ kvHeads: 4 }, 8), undefined);
    });
    it("counts replicated KV heads once per rank in the KV-cache size", () => {
      const arch = modelCatalog["qwen3-30b-a3b"]; // 4 KV heads
      const gpus = { gpuMemoryGiB: 80, gpuMemoryUtilization: 0.9 };
      assert.strictEqual(replicaMemory(arch, { ...gpus, tensorParallel: 4 }).kvBytesPerToken, kvCacheBytesPerToken(arch));
      assert.strictEqual(replicaMemory(arch, { ...gpus, tensorParallel: 8 }).kvBytesPerToken, kvCacheBytesPerToken(arch) * 2);
    });
  });

  describe("MIG profiles (NVIDIA MIG user guide profile tables)", () => {
    const instances = (profile: string, gpuGiB: number) => migInstances(parseMigProfile(profile) ?? { computeSlices: 0, memoryGB: 0 }, gpuGiB);
    it("gives the instance counts of the published tables", () => {
      const table: [string, number, number][] = [
        ["all-1g.5gb", 40, 7],
        ["all-2g.10gb", 40, 3],
        ["all-3g.20gb", 40, 2],
        ["all-7g.40gb", 40, 1],
        ["all-1g.10gb", 80, 7],
        ["all-1g.20gb", 80, 4],
        ["all-2g.20gb", 80, 3],
        ["all-3g.40gb", 80, 2],
        ["all-4g.40gb", 80, 1],
        ["all-7g.80gb", 80, 1],
        ["all-1g.18gb", 141, 7],
        ["all-3g.71gb", 141, 2],
      ];
      for (const [profile, gpu, count] of table) {
        const got = instances(profile, gpu);
        assert.ok(typeof got !== "string", `${profile} on ${gpu} GiB: ${String(got)}`);
        assert.strictEqual(got.perGpu, count, `${profile} on ${gpu} GiB`);
      }
    });
    it("gives an instance no more memory than its marketing size", () => {
      const got = instances("all-1g.10gb", 80);
      assert.ok(typeof got !== "string" && got.memoryGiB < 10 && got.memoryGiB > 9);
    });
    it("refuses profiles of another GPU size and compute sizes that do not exist", () => {
      assert.match(String(instances("all-1g.5gb", 80)), /not a MIG profile of a 80 GiB GPU/);
      assert.match(String(instances("all-5g.40gb", 80)), /not a MIG profile/);
      assert.strictEqual(parseMigProfile("all-balanced"), undefined);
    });
  });

  describe("served data types", () => {
    it("allows the checkpoint's own type, another 16/32-bit type, and fp8 on the fly", () => {
      for (const [from, to] of [["bf16", "bf16"], ["bf16", "fp16"], ["fp16", "bf16"], ["fp32", "bf16"], ["bf16", "fp8"], ["int4", "int4"], ["mxfp4", "mxfp4"]] as const) {
        assert.strictEqual(servedDtypeProblem(from, to), undefined, `${from} -> ${to}`);
      }
    });
    it("refuses quantizing to integer types while loading and widening a quantized checkpoint", () => {
      assert.match(servedDtypeProblem("bf16", "int4") ?? "", /cannot quantize a bf16 checkpoint to int4/);
      assert.match(servedDtypeProblem("mxfp4", "bf16") ?? "", /stored as mxfp4/);
      assert.match(servedDtypeProblem("fp8", "bf16") ?? "", /stored as fp8/);
    });
    it("passes vLLM's own names for the compute types", () => {
      const config = parsePlatformConfig(baseConfig());
      const model = { ...config.models[0], dtype: "fp16" as const };
      assert.ok(vllmArgs(model).includes("--dtype=float16"), vllmArgs(model).join(" "));
    });
  });

  describe("extraArgs", () => {
    const check = (extraArgs: string[], simulator = false) => reported((r) => checkExtraArgs({ extraArgs, simulator }, "models[0]", r));
    it("lets flags the platform does not set through, with their values", () => {
      assert.deepStrictEqual(check(["--max-num-seqs", "256", "--enforce-eager", "--swap-space=8"]), []);
    });
    it("refuses validated flags in every spelling vLLM accepts", () => {
      for (const arg of ["--tensor-parallel-size=2", "--tensor_parallel_size", "-tp", "--max-model-len", "--dtype=half", "-q", "--block-size=16", "--no-enable-prefix-caching"]) {
        const issues = check([arg]);
        assert.strictEqual(issues.length, 1, arg);
        assert.strictEqual(issues[0].path, "models[0].extraArgs[0]");
        assert.match(issues[0].message, /is set by the platform from/);
      }
    });
    it("refuses a flag and its value in one item", () => {
      assert.match(check(["--max-num-seqs 256"])[0].message, /holds a space/);
    });
    it("checks the simulator's own flags for simulator models", () => {
      assert.strictEqual(check(["--port=9000"], true).length, 1);
      assert.deepStrictEqual(check(["--tensor-parallel-size=2"], true), []);
    });
  });

  it("takes hf:// sources of exactly one repository", () => {
    assert.strictEqual(hfUriProblem("hf://Qwen/Qwen3-8B"), undefined);
    assert.strictEqual(hfUriProblem("s3://bucket/a/b/c"), undefined);
    assert.match(hfUriProblem("hf://Qwen3-8B") ?? "", /hf:\/\/<owner>\/<name>/);
    assert.match(hfUriProblem("hf://a/b/c") ?? "", /not a Hugging Face repository/);
  });
});

describe("regions", () => {
  it("knows the regions the sample stacks use and none of the other cloud's", () => {
    assert.ok(isKnownRegion("aws", "us-east-1") && isKnownRegion("gcp", "us-central1"));
    assert.ok(!isKnownRegion("aws", "us-central1") && !isKnownRegion("gcp", "us-east-1"));
    assert.strictEqual(new Set(awsRegions).size, awsRegions.length);
    assert.strictEqual(new Set(gcpRegions).size, gcpRegions.length);
  });
  it("suggests the nearest spellings", () => {
    assert.strictEqual(nearestRegions("gcp", "us-centrall1")[0], "us-central1");
    assert.strictEqual(nearestRegions("aws", "eu-wset-1")[0], "eu-west-1");
  });
});

describe("models namespace", () => {
  it("reserves the shared Gateway's namespace under the name the add-ons use", () => {
    assert.ok(reservedNamespaces().has(GATEWAY_NAMESPACE));
    assert.ok(reservedNamespaces().has("kserve") && reservedNamespaces().has("kube-system"));
  });
});

describe("warnings", () => {
  it("warns about a pool no model runs on without refusing the config", () => {
    const raw = baseConfig();
    raw.models = raw.models.filter((m) => m.pool !== "l4");
    const result = validatePlatformConfig(raw);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepStrictEqual(result.warnings.map((w) => w.path), ["gpuPools[1]"]);
    assert.match(result.warnings[0].message, /no model runs on pool "l4"/);
  });
});

describe("partial config for cross-field checks", () => {
  it("removes a broken leaf and keeps the rest", () => {
    const raw = baseConfig() as Record<string, unknown>;
    raw.gateway = { exposure: "sideways" };
    const partial = partialConfig(raw);
    assert.ok(partial !== undefined);
    assert.strictEqual(partial.parsed.gateway.exposure, "internal");
    assert.strictEqual(partial.parsed.models.length, 2);
    assert.ok(partial.isAboutRepairedPart("gateway.exposure"));
    assert.ok(!partial.isAboutRepairedPart("models[0].pool"));
  });
  it("leaves out a pool whose required field is broken and remembers its name", () => {
    const raw = baseConfig();
    (raw.gpuPools[0] as Record<string, unknown>).maxNodes = "many";
    (raw.gpuPools[1] as Record<string, unknown>).name = 7;
    const partial = partialConfig(raw);
    assert.ok(partial !== undefined);
    assert.deepStrictEqual(partial.poolIndex, [0]);
    assert.strictEqual(partial.parsed.gpuPools[0].maxNodes, 1);
    assert.ok(partial.isAboutRepairedPart("gpuPools[0].maxNodes"));
  });
  it("stands in for a broken provider and drops every cloud-specific finding", () => {
    const raw = baseConfig() as Record<string, unknown>;
    raw.cloud = { provider: "azure" };
    const partial = partialConfig(raw);
    assert.ok(partial !== undefined);
    assert.strictEqual(partial.parsed.cloud.provider, "existing");
    assert.ok(partial.isAboutRepairedPart("cluster.apiAccess") && partial.isAboutRepairedPart("gpuPools[0].zones"));
    assert.ok(!partial.isAboutRepairedPart("models[0].tensorParallel"));
  });
  it("gives up on input that is not a map", () => {
    assert.strictEqual(partialConfig("prod"), undefined);
    assert.strictEqual(partialConfig(null), undefined);
  });
});
