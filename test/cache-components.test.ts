import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parsePlatformConfig, PlatformInput } from "../components/config";
import { LlmPlatform } from "../components/platform";
import { modelId, rcloneEnv, seederJobName, snapshotUrl } from "../components/cache";
import { baseConfig } from "./harness/fixtures";
import { RecordedResource, runMocked } from "./harness/pulumi";
import { kubernetesSchemas } from "./harness/schema";
import { isKubernetesObject } from "../automation/plan/render";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions walk untyped Kubernetes JSON

const STORE = { provider: "s3" as const, bucket: "llm-snapshots", region: "us-east-1" };

function cachedConfig(mode: "nvme" | "stream" | "auto", change: (raw: ReturnType<typeof baseConfig>) => void = () => {}): PlatformInput {
  const raw = baseConfig();
  raw.modelCache = { mode, store: STORE };
  raw.models[1].source.revision = "c1899de289a04d12100db370d81485cdf75e47ca";
  change(raw);
  return raw;
}

async function platformFor(raw: PlatformInput, hfToken?: string) {
  const config = parsePlatformConfig(raw);
  const { recorder } = await runMocked(() => new LlmPlatform("t", { config, hfToken: hfToken === undefined ? undefined : pulumi.secret(hfToken) }));
  return recorder;
}

const byType = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type).map((r) => r.inputs as Json);
const llmisvc = (resources: RecordedResource[], name: string) =>
  byType(resources, "kubernetes:serving.kserve.io/v1alpha2:LLMInferenceService").find((s) => s.metadata.name === name) as Json;

describe("model cache components", () => {
  it("restores weights onto the pool's NVMe before vLLM starts and mounts them read-only, with no PVC anywhere", async () => {
    const resources = (await platformFor(cachedConfig("nvme"))).resources;
    const svc = llmisvc(resources, "llama-70b");
    assert.deepStrictEqual(svc.spec.storageInitializer, { enabled: false });
    assert.strictEqual(svc.spec.model.uri, "hf://meta-llama/Llama-3.1-70B-Instruct", "the cache, not KServe, fetches the revision");
    const pod = svc.spec.template;
    assert.strictEqual(pod.serviceAccountName, "llm-model-cache-reader");
    const [restore] = pod.initContainers;
    assert.strictEqual(restore.name, "restore-weights");
    assert.strictEqual(restore.image, "docker.io/rclone/rclone:1.68.2");
    assert.deepStrictEqual(restore.command, ["sh", "/scripts/restore.sh"]);
    const env = Object.fromEntries(restore.env.map((e: Json) => [e.name, e.value]));
    assert.deepStrictEqual(
      { root: env.CACHE_ROOT, id: env.MODEL_ID, rev: env.REVISION, snap: env.SNAPSHOT, type: env.RCLONE_CONFIG_SNAP_TYPE, auth: env.RCLONE_CONFIG_SNAP_ENV_AUTH },
      {
        root: "/cache",
        id: "meta-llama/Llama-3.1-70B-Instruct",
        rev: "945c8663693130f8be2ee66210e062158b2a9693",
        snap: "snap:llm-snapshots/models/meta-llama/Llama-3.1-70B-Instruct/945c8663693130f8be2ee66210e062158b2a9693",
        type: "s3",
        auth: "true",
      },
    );
    const volumes = Object.fromEntries(pod.volumes.map((v: Json) => [v.name, v]));
    assert.deepStrictEqual(volumes["cache-root"].hostPath, { path: "/mnt/k8s-disks/0/llm-platform", type: "DirectoryOrCreate" });
    assert.strictEqual(volumes["model-weights"].hostPath.path, "/mnt/k8s-disks/0/llm-platform/models/meta-llama/Llama-3.1-70B-Instruct/945c8663693130f8be2ee66210e062158b2a9693");
    const main = pod.containers.find((c: Json) => c.name === "main");
    assert.deepStrictEqual(main.volumeMounts.find((m: Json) => m.name === "model-weights"), { name: "model-weights", mountPath: "/mnt/models", readOnly: true });
    assert.ok(!main.volumeMounts.some((m: Json) => m.name === "cache-root"), "the serving container never sees the writable cache root");
    // No affinity to a node, no claim or volume object for weights anywhere.
    assert.strictEqual(pod.affinity, undefined);
    assert.deepStrictEqual(pod.nodeSelector, { "llm-platform.io/pool": "h100" });
    assert.deepStrictEqual(resources.filter((r) => /PersistentVolume/.test(r.type)), []);
    assert.ok(!JSON.stringify(resources.map((r) => r.inputs)).includes("persistentVolumeClaim"));
  });

  it("seeds each model revision once with a Job that does not block `up`", async () => {
    const resources = (await platformFor(cachedConfig("nvme"), "hf_secret_token")).resources;
    const jobs = byType(resources, "kubernetes:batch/v1:Job");
    assert.deepStrictEqual(jobs.map((j) => j.metadata.name).sort(), ["seed-llama-70b-945c8663", "seed-qwen3-8b-c1899de2"]);
    const job = jobs.find((j) => j.metadata.name === "seed-llama-70b-945c8663") as Json;
    assert.strictEqual(job.metadata.annotations["pulumi.com/skipAwait"], "true");
    assert.strictEqual(job.spec.ttlSecondsAfterFinished, 86400);
    const spec = job.spec.template.spec;
    assert.strictEqual(spec.serviceAccountName, "llm-model-cache-seeder");
    assert.deepStrictEqual(spec.initContainers.map((c: Json) => c.name), ["check-seeded", "download"]);
    assert.match(spec.initContainers[1].command[2], /^\[ -f \/work\/\.seeded \] \|\| hf download "\$REPO" --revision "\$REVISION"/);
    assert.deepStrictEqual(spec.initContainers[1].env.find((e: Json) => e.name === "HF_TOKEN"), { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "token" } } });
    assert.deepStrictEqual(spec.containers[0].command, ["sh", "/scripts/seed.sh"]);
    // The token reaches the cluster only as a Secret.
    const secret = resources.find((r) => r.type === "kubernetes:core/v1:Secret");
    assert.deepStrictEqual((secret?.inputs as Json).stringData, { token: "hf_secret_token" });
    assert.ok(!JSON.stringify(jobs).includes("hf_secret_token"));
  });

  it("pre-warms every node of an NVMe pool with its models and prunes unconfigured revisions", async () => {
    const resources = (await platformFor(cachedConfig("auto"))).resources;
    const [ds] = byType(resources, "kubernetes:apps/v1:DaemonSet");
    assert.strictEqual(ds.metadata.name, "prewarm-h100");
    const pod = ds.spec.template.spec;
    assert.deepStrictEqual(pod.nodeSelector, { "llm-platform.io/pool": "h100" });
    assert.deepStrictEqual(pod.tolerations, [{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]);
    assert.deepStrictEqual(pod.initContainers.map((c: Json) => c.env.find((e: Json) => e.name === "MODEL_ID").value), ["meta-llama/Llama-3.1-70B-Instruct"]);
    const prune = pod.containers[0];
    const env = Object.fromEntries(prune.env.map((e: Json) => [e.name, e.value]));
    assert.deepStrictEqual(env, { CACHE_ROOT: "/cache", CONFIGURED: "meta-llama/Llama-3.1-70B-Instruct@945c8663693130f8be2ee66210e062158b2a9693", IN_USE_GRACE_MINUTES: "1440" });
    // The l4 pool (g6.xlarge has one NVMe device) also pre-warms in auto mode.
    assert.strictEqual(byType(resources, "kubernetes:apps/v1:DaemonSet").length, 2);
  });

  it("ships the scripts in a ConfigMap and creates reader and seeder identities", async () => {
    const resources = (await platformFor(cachedConfig("nvme"))).resources;
    const [cm] = byType(resources, "kubernetes:core/v1:ConfigMap");
    assert.deepStrictEqual(Object.keys(cm.data).sort(), ["common.sh", "prune.sh", "restore.sh", "seed.sh"]);
    assert.match(cm.data["restore.sh"], /^#!\/bin\/sh\n# restore\.sh:/);
    assert.deepStrictEqual(byType(resources, "kubernetes:core/v1:ServiceAccount").map((s) => s.metadata.name).sort(), ["llm-model-cache-reader", "llm-model-cache-seeder"]);
  });

  it("stream mode: vLLM loads straight from the bucket with the Run:ai streamer, no init container, no host path", async () => {
    const resources = (await platformFor(cachedConfig("stream"))).resources;
    const pod = llmisvc(resources, "llama-70b").spec.template;
    const main = pod.containers.find((c: Json) => c.name === "main");
    assert.deepStrictEqual(main.command.slice(0, 4), ["vllm", "serve", "s3://llm-snapshots/models/meta-llama/Llama-3.1-70B-Instruct/945c8663693130f8be2ee66210e062158b2a9693", "--load-format=runai_streamer"]);
    assert.ok(main.command.includes("--tensor-parallel-size=4"));
    assert.strictEqual(pod.initContainers, undefined);
    assert.ok(!pod.volumes.some((v: Json) => v.hostPath));
    assert.deepStrictEqual(byType(resources, "kubernetes:apps/v1:DaemonSet"), []);
  });

  it("every cache object passes its upstream schema", async () => {
    for (const mode of ["nvme", "stream"] as const) {
      const resources = (await platformFor(cachedConfig(mode), "hf_x")).resources;
      for (const r of resources.filter(isKubernetesObject)) {
        assert.deepStrictEqual(await kubernetesSchemas().validate(r.inputs), [], `${mode}: ${r.type} ${r.name}`);
      }
    }
  });

  it("requires a store, revisions and hf:// sources when the cache is on, and NVMe for nvme mode", () => {
    const noStore = cachedConfig("nvme");
    noStore.modelCache = { mode: "nvme" };
    assert.throws(() => parsePlatformConfig(noStore), /modelCache\.store: is required with modelCache\.mode nvme/);
    const noRev = cachedConfig("nvme", (raw) => delete raw.models[1].source.revision);
    assert.throws(() => parsePlatformConfig(noRev), /models\[1\]\.source\.revision: is required with the model cache/);
    const noNvme = cachedConfig("nvme", (raw) => (raw.gpuPools[1].nvme = "none"));
    assert.throws(() => parsePlatformConfig(noNvme), /models\[1\]\.pool: pool "l4" has no NVMe array for modelCache\.mode nvme/);
    const prodOff = { ...baseConfig(), environment: { name: "p", tier: "prod" as const } };
    assert.throws(() => parsePlatformConfig(prodOff), /modelCache\.mode: off downloads weights from the source on every pod start/);
  });

  it("names snapshots and seeders from model and revision", () => {
    assert.strictEqual(modelId("hf://Qwen/Qwen3-8B"), "Qwen/Qwen3-8B");
    assert.strictEqual(snapshotUrl({ provider: "gcs", bucket: "b" }, "Qwen/Qwen3-8B", "abc"), "gs://b/models/Qwen/Qwen3-8B/abc");
    assert.strictEqual(seederJobName("m".repeat(42), "ABCDEF0123456789"), `seed-${"m".repeat(42)}-abcdef01`);
    assert.ok(seederJobName("m".repeat(42), "x").length <= 63);
    assert.deepStrictEqual(rcloneEnv({ provider: "s3", bucket: "b", endpoint: "http://127.0.0.1:9000" }).map((e) => e.name), [
      "RCLONE_CONFIG_SNAP_TYPE",
      "RCLONE_CONFIG_SNAP_PROVIDER",
      "RCLONE_CONFIG_SNAP_ENV_AUTH",
      "RCLONE_CONFIG_SNAP_ENDPOINT",
    ]);
  });
});
