import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parsePlatformConfig, PlatformInput } from "../components/config";
import { LlmPlatform } from "../components/platform";
import { modelId, rcloneEnv, seederJobName, snapshotUrl } from "../components/cache";
import { isGatedRepo, seedingIssues, seedScratchBytes } from "../components/cache/seeding";
import { modelCatalog } from "../components/catalog";
import { platformProgram } from "../components/program";
import { baseConfig } from "./harness/fixtures";
import { RecordedResource, runMocked, runMockedExpectingError } from "./harness/pulumi";
import { kubernetesSchemas } from "./harness/schema";
import { isKubernetesObject } from "../automation/plan/render";
import { hostPathPolicyName } from "../components/security";

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
  it("with the NVMe cache the models namespace enforces privileged, and an admission policy allows hostPath only under the cache root for the reader", async () => {
    const resources = (await platformFor(cachedConfig("nvme"))).resources;
    const namespace = byType(resources, "kubernetes:core/v1:Namespace").find((n) => n.metadata.name === "llm-models") as Json;
    assert.strictEqual(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
    assert.strictEqual(namespace.metadata.labels["pod-security.kubernetes.io/warn"], "restricted");
    const [policy] = byType(resources, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
    const [binding] = byType(resources, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding");
    assert.strictEqual(policy.metadata.name, hostPathPolicyName("llm-models"));
    const expressions: string[] = policy.spec.validations.map((v: Json) => v.expression);
    // Every hostPath the platform renders lies under the root the policy names.
    const root = "/mnt/k8s-disks/0/llm-platform";
    assert.ok(expressions[0].includes(`["${root}"].exists(`), expressions[0]);
    const hostPaths = resources
      .filter((r) => isKubernetesObject(r))
      .flatMap((r) => JSON.stringify(r.inputs).match(/"hostPath":\{"path":"[^"]+"/g) ?? [])
      .map((m) => m.slice('"hostPath":{"path":"'.length, -1));
    assert.ok(hostPaths.length >= 3, hostPaths.join());
    for (const p of hostPaths) {
      assert.ok(p === root || p.startsWith(`${root}/`), p);
    }
    // hostPath only for the pods that mount the cache: each NVMe model's reader and each pool's pre-warm DaemonSet.
    assert.ok(expressions[1].endsWith(`in ["llm-cache-prewarm-h100", "llm-cache-prewarm-l4", "llm-cache-reader-llama-70b", "llm-cache-reader-qwen3-8b"]`), expressions[1]);
    assert.ok(expressions[4].includes(`!= "llm-model-cache-seeder"`), expressions[4]);
    assert.deepStrictEqual(binding.spec, {
      policyName: policy.metadata.name,
      validationActions: ["Deny"],
      matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "llm-models" } } },
    });
    const bindingUrn = resources.find((r) => r.type === "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")?.urn as string;
    for (const r of resources.filter((r) => ["kubernetes:batch/v1:Job", "kubernetes:apps/v1:DaemonSet", "kubernetes:serving.kserve.io/v1alpha2:LLMInferenceService"].includes(r.type))) {
      assert.ok(r.dependencies.includes(bindingUrn), `${r.name} starts only once the policy is bound`);
    }
    for (const o of [policy, binding]) {
      assert.deepStrictEqual(await kubernetesSchemas().validate(o), [], o.kind);
    }
  });

  it("restores weights onto the pool's NVMe before vLLM starts and mounts them read-only, with no PVC anywhere", async () => {
    const resources = (await platformFor(cachedConfig("nvme"))).resources;
    const svc = llmisvc(resources, "llama-70b");
    assert.deepStrictEqual(svc.spec.storageInitializer, { enabled: false });
    assert.strictEqual(svc.spec.model.uri, "hf://meta-llama/Llama-3.1-70B-Instruct", "the cache, not KServe, fetches the revision");
    const pod = svc.spec.template;
    assert.strictEqual(pod.serviceAccountName, "llm-cache-reader-llama-70b", "the model's own reader, which reads only its prefix");
    const [restore] = pod.initContainers;
    assert.strictEqual(restore.name, "restore-weights");
    assert.strictEqual(restore.image, "docker.io/rclone/rclone:1.68.2@sha256:74c51b8817e5431bd6d7ed27cb2a50d8ee78d77f6807b72a41ef6f898845942b", "by digest: it mounts the cache root");
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
    assert.match(spec.initContainers[1].command[2], /^\[ -f \/work\/\.seeded \] \|\| hf download "\$REPO" --revision "\$\(cat \/work\/commit 2>\/dev\/null \|\| echo "\$REVISION"\)"/);
    assert.deepStrictEqual(spec.initContainers[1].env.find((e: Json) => e.name === "HF_TOKEN"), { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "token" } } });
    assert.deepStrictEqual(spec.containers[0].command, ["sh", "/scripts/seed.sh"]);
    // The token reaches the cluster only as a Secret.
    const secret = resources.find((r) => r.type === "kubernetes:core/v1:Secret");
    assert.deepStrictEqual((secret?.inputs as Json).stringData, { token: "hf_secret_token" });
    assert.ok(!JSON.stringify(jobs).includes("hf_secret_token"));
  });

  it("pre-warms every node of an NVMe pool from a ConfigMap list the loop re-reads, and prunes unconfigured revisions", async () => {
    const resources = (await platformFor(cachedConfig("auto"))).resources;
    const [ds] = byType(resources, "kubernetes:apps/v1:DaemonSet");
    assert.strictEqual(ds.metadata.name, "prewarm-h100");
    const pod = ds.spec.template.spec;
    assert.deepStrictEqual(pod.nodeSelector, { "llm-platform.io/pool": "h100" });
    assert.deepStrictEqual(pod.tolerations, [{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]);
    assert.strictEqual(pod.initContainers, undefined);
    const [loop] = pod.containers;
    assert.deepStrictEqual(loop.command, ["sh", "/scripts/prewarm.sh"]);
    const env = Object.fromEntries(loop.env.map((e: Json) => [e.name, e.value]));
    assert.deepStrictEqual(
      { list: env.MODELS_FILE, root: env.SNAPSHOT_ROOT, cache: env.CACHE_ROOT, grace: env.IN_USE_GRACE_MINUTES },
      { list: "/etc/llm-prewarm/models", root: "snap:llm-snapshots/models", cache: "/cache", grace: "1440" },
    );
    assert.deepStrictEqual(pod.volumes.find((v: Json) => v.name === "prewarm-models"), { name: "prewarm-models", configMap: { name: "llm-prewarm-h100" } });
    const lists = Object.fromEntries(byType(resources, "kubernetes:core/v1:ConfigMap").filter((c) => c.metadata.name.startsWith("llm-prewarm-")).map((c) => [c.metadata.name, c.data.models]));
    assert.deepStrictEqual(lists, {
      "llm-prewarm-h100": "meta-llama/Llama-3.1-70B-Instruct\t945c8663693130f8be2ee66210e062158b2a9693\tcommit\n",
      // The l4 pool (g6.xlarge has one NVMe device) also pre-warms in auto mode.
      "llm-prewarm-l4": "Qwen/Qwen3-8B\tc1899de289a04d12100db370d81485cdf75e47ca\tcommit\n",
    });
    assert.strictEqual(byType(resources, "kubernetes:apps/v1:DaemonSet").length, 2);
  });

  it("adding a model changes the pool's list only: no pre-warm pod template changes, so no pod restarts", async () => {
    const one = await platformFor(cachedConfig("nvme"));
    const two = await platformFor(
      cachedConfig("nvme", (raw) =>
        raw.models.push({ name: "llama-8b", source: { uri: "hf://meta-llama/Llama-3.1-8B-Instruct", revision: "0e9e39f249a16976918f6564b8830bc894c89659" }, pool: "h100", architecture: "llama-3.1-8b", maxModelLen: 8192 }),
      ),
    );
    const daemonSets = (r: RecordedResource[]) => byType(r, "kubernetes:apps/v1:DaemonSet");
    assert.strictEqual(daemonSets(one.resources).length, 2);
    assert.deepStrictEqual(daemonSets(two.resources), daemonSets(one.resources));
    const list = (r: RecordedResource[]) => byType(r, "kubernetes:core/v1:ConfigMap").find((c) => c.metadata.name === "llm-prewarm-h100")?.data.models;
    assert.deepStrictEqual(String(list(two.resources)).split("\n"), [...String(list(one.resources)).split("\n").slice(0, -1), "meta-llama/Llama-3.1-8B-Instruct\t0e9e39f249a16976918f6564b8830bc894c89659\tcommit", ""]);
    // What the DaemonSets wait for (the scripts, the reader, their list) is unchanged too.
    const dsDeps = (r: RecordedResource[]) => r.filter((x) => x.type === "kubernetes:apps/v1:DaemonSet").map((x) => x.dependencies);
    assert.deepStrictEqual(dsDeps(two.resources), dsDeps(one.resources));
  });

  it("ships the scripts in a ConfigMap and creates a reader per model and per pre-warmed pool, and the seeder", async () => {
    const resources = (await platformFor(cachedConfig("nvme"))).resources;
    const cm = byType(resources, "kubernetes:core/v1:ConfigMap").find((c) => c.metadata.name === "llm-model-cache-scripts") as Json;
    assert.deepStrictEqual(Object.keys(cm.data).sort(), ["common.sh", "prewarm.sh", "prune.sh", "restore.sh", "seed.sh"]);
    assert.match(cm.data["restore.sh"], /^#!\/bin\/sh\n# restore\.sh:/);
    assert.deepStrictEqual(byType(resources, "kubernetes:core/v1:ServiceAccount").map((s) => s.metadata.name).sort(), [
      "llm-cache-prewarm-h100",
      "llm-cache-prewarm-l4",
      "llm-cache-reader-llama-70b",
      "llm-cache-reader-qwen3-8b",
      "llm-model-cache-seeder",
    ]);
    const prewarm = byType(resources, "kubernetes:apps/v1:DaemonSet").map((d) => [d.metadata.name, d.spec.template.spec.serviceAccountName]);
    assert.deepStrictEqual(prewarm, [
      ["prewarm-h100", "llm-cache-prewarm-h100"],
      ["prewarm-l4", "llm-cache-prewarm-l4"],
    ]);
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

  it("runs the seeder on the model's pool with an emptyDir and an ephemeral-storage request sized from the checkpoint", async () => {
    const resources = (await platformFor(cachedConfig("nvme"), "hf_x")).resources;
    const job = byType(resources, "kubernetes:batch/v1:Job").find((j) => j.metadata.name === "seed-llama-70b-945c8663") as Json;
    const spec = job.spec.template.spec;
    // System nodes have 100 GiB disks; the 70B checkpoint alone is 141 GB.
    assert.deepStrictEqual(spec.nodeSelector, { "llm-platform.io/pool": "h100" });
    assert.deepStrictEqual(spec.tolerations, [{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]);
    const scratch = Math.ceil((141.1e9 * 1.1 + 2e9) / 1e9);
    assert.strictEqual(seedScratchBytes(modelCatalog["llama-3.1-70b"]), Math.ceil(141.1e9 * 1.1 + 2e9));
    assert.deepStrictEqual(spec.volumes.find((v: Json) => v.name === "work"), { name: "work", emptyDir: { sizeLimit: `${scratch}G` } });
    const byName = Object.fromEntries([...spec.initContainers, ...spec.containers].map((c: Json) => [c.name, c]));
    assert.strictEqual(byName.download.resources.requests["ephemeral-storage"], `${scratch}G`);
    assert.strictEqual(byName.seed.resources.requests["ephemeral-storage"], `${scratch}G`);
    // check-seeded asks seed.sh, which reads the snapshot's listing instead of trusting an exit code.
    assert.deepStrictEqual(byName["check-seeded"].command, ["sh", "/scripts/seed.sh"]);
    const checkEnv = Object.fromEntries(byName["check-seeded"].env.map((e: Json) => [e.name, e.value]));
    assert.deepStrictEqual([checkEnv.CHECK_ONLY, checkEnv.SEEDED_FLAG], ["1", "/work/.seeded"]);
    // The seeder's uploads never try CreateBucket; the readers do not write at all.
    for (const c of [byName["check-seeded"], byName.seed]) {
      assert.deepStrictEqual(c.env.find((e: Json) => e.name === "RCLONE_CONFIG_SNAP_NO_CHECK_BUCKET"), { name: "RCLONE_CONFIG_SNAP_NO_CHECK_BUCKET", value: "true" });
    }
    const restore = llmisvc(resources, "llama-70b").spec.template.initContainers[0];
    assert.ok(!restore.env.some((e: Json) => e.name === "RCLONE_CONFIG_SNAP_NO_CHECK_BUCKET"));
  });

  it("a gated repository without llm-platform:hfToken is a config error at load, naming the key and the model, before anything is registered", async () => {
    const raw = cachedConfig("nvme");
    const { recorder, error } = await runMockedExpectingError(platformProgram, { config: { "llm-platform:platform": raw } });
    assert.match(String(error), /llm-platform:hfToken: is required: the seeder downloads the gated Hugging Face repository of models\[0\] \(hf:\/\/meta-llama\/Llama-3\.1-70B-Instruct\)/);
    assert.deepStrictEqual(recorder.resources, []);
    // With the token (a secret in the stack) the same stack registers its seeders.
    const withToken = await runMocked(platformProgram, { config: { "llm-platform:platform": raw, "llm-platform:hfToken": "hf_x" }, secretKeys: ["llm-platform:hfToken"] });
    assert.ok(byType(withToken.recorder.resources, "kubernetes:batch/v1:Job").length > 0);
    // Nothing gated is seeded: a simulator, or the cache off, needs no token.
    const open = cachedConfig("nvme", (raw) => raw.models.splice(0, 1));
    assert.deepStrictEqual(seedingIssues(parsePlatformConfig(open), { hfToken: false }), []);
    const simulated = cachedConfig("nvme", (raw) => Object.assign(raw.models[0], { simulator: true, pool: undefined }));
    assert.deepStrictEqual(seedingIssues(parsePlatformConfig(simulated), { hfToken: false }), []);
  });

  it("knows the gated repositories: meta-llama's and the catalog's gated models, not Qwen's", () => {
    assert.ok(isGatedRepo("meta-llama/Llama-3.3-70B-Instruct"));
    assert.ok(isGatedRepo("Meta-Llama/llama-3.1-8b-instruct"));
    assert.ok(isGatedRepo("mistralai/Mixtral-8x7B-Instruct-v0.1"));
    assert.ok(!isGatedRepo("Qwen/Qwen3-8B"));
    assert.ok(!isGatedRepo("openai/gpt-oss-20b"));
  });

  it("refuses a download no node of the pool has room for, naming the model's pool", () => {
    const raw = cachedConfig("nvme", (raw) => {
      raw.gpuPools[0] = { name: "h100", hardware: { gpuModel: "H100-80GB", gpusPerNode: 8, gpuMemoryGiB: 79.65, networkGbps: 400, localNvme: { devices: 1, gbPerDevice: 300 } }, minNodes: 1, maxNodes: 1 };
    });
    const issues = seedingIssues(parsePlatformConfig(raw), { hfToken: true });
    assert.deepStrictEqual(issues.map((i) => i.path), ["models[0].pool"]);
    assert.match(issues[0].message, /seeding hf:\/\/meta-llama\/Llama-3\.1-70B-Instruct downloads 158 GB onto a node of pool "h100", but its NVMe array \(300 GB\) leaves 109 GB after the pool's cached models \(142 GB\)/);
    raw.gpuPools![0].hardware!.localNvme = { devices: 1, gbPerDevice: 400 };
    assert.deepStrictEqual(seedingIssues(parsePlatformConfig(raw), { hfToken: true }), []);
  });

  it("outside dev a cached model pins a full commit; dev may follow a branch", () => {
    for (const tier of ["staging", "prod"] as const) {
      const raw = cachedConfig("nvme", (raw) => {
        raw.environment = { name: "t", tier };
        raw.models[1].source.revision = "main";
      });
      assert.throws(() => parsePlatformConfig(raw), new RegExp(`models\\[1\\]\\.source\\.revision: "main" is not a full 40-hex commit: with the model cache, ${tier} pins commits`));
    }
    const short = cachedConfig("nvme", (raw) => {
      raw.environment = { name: "t", tier: "staging" };
      raw.models[1].source.revision = "c1899de";
    });
    assert.throws(() => parsePlatformConfig(short), /models\[1\]\.source\.revision: "c1899de" is not a full 40-hex commit/);
    const slash = cachedConfig("nvme", (raw) => (raw.models[1].source.revision = "feature/x"));
    // A '/' is refused by the schema, for every revision (it would be two path segments).
    assert.throws(() => parsePlatformConfig(slash), /models\[1\]\.source\.revision: must be a commit hash, tag or branch name of A-Z a-z 0-9 \. _ - \(no '\/', not starting with '\.'\)/);
    assert.doesNotThrow(() => parsePlatformConfig(cachedConfig("nvme", (raw) => (raw.models[1].source.revision = "main"))));
    // Without the cache, nothing is keyed by the revision.
    const off = cachedConfig("nvme", (raw) => {
      raw.environment = { name: "t", tier: "staging" };
      raw.modelCache = { mode: "off" };
      raw.models[1].source.revision = "main";
    });
    assert.doesNotThrow(() => parsePlatformConfig(off));
    // Nor without it: KServe's download puts the revision on the model URI.
    const offSlash = cachedConfig("nvme", (raw) => {
      raw.modelCache = { mode: "off" };
      raw.models[1].source.revision = "../../etc";
    });
    assert.throws(() => parsePlatformConfig(offSlash), /models\[1\]\.source\.revision: must be a commit hash, tag or branch name/);
  });

  it("dev on a moving ref: the seeder resolves it and re-runs hourly, restores follow the ref pointer, the pre-warm list marks it", async () => {
    const resources = (await platformFor(cachedConfig("nvme", (raw) => (raw.models[1].source.revision = "main")), "hf_x")).resources;
    const job = byType(resources, "kubernetes:batch/v1:Job").find((j) => j.metadata.name === "seed-qwen3-8b-main") as Json;
    const pod = job.spec.template.spec;
    assert.deepStrictEqual(pod.initContainers.map((c: Json) => c.name), ["resolve-ref", "check-seeded", "download"]);
    assert.deepStrictEqual(pod.initContainers[0].command.slice(0, 2), ["python3", "-c"]);
    for (const c of [pod.initContainers[1], pod.containers[0]]) {
      assert.deepStrictEqual(c.env.find((e: Json) => e.name === "RESOLVED_COMMIT_FILE"), { name: "RESOLVED_COMMIT_FILE", value: "/work/commit" });
    }
    const [cron] = byType(resources, "kubernetes:batch/v1:CronJob");
    assert.strictEqual(cron.metadata.name, "reseed-qwen3-8b-main");
    assert.strictEqual(cron.spec.schedule, "0 * * * *");
    assert.strictEqual(cron.spec.concurrencyPolicy, "Forbid");
    assert.deepStrictEqual(cron.spec.jobTemplate.spec.template.spec, pod);
    const restore = llmisvc(resources, "qwen3-8b").spec.template.initContainers[0];
    const env = Object.fromEntries(restore.env.map((e: Json) => [e.name, e.value]));
    assert.deepStrictEqual([env.REVISION, env.MOVING_REF, env.SNAPSHOT], ["main", "1", "snap:llm-snapshots/models/Qwen/Qwen3-8B/main"]);
    const list = byType(resources, "kubernetes:core/v1:ConfigMap").find((c) => c.metadata.name === "llm-prewarm-l4");
    assert.strictEqual(list?.data.models, "Qwen/Qwen3-8B\tmain\tref\n");
    // A pinned model gets neither the resolver nor the CronJob.
    const pinned = (await platformFor(cachedConfig("nvme"), "hf_x")).resources;
    assert.deepStrictEqual(byType(pinned, "kubernetes:batch/v1:CronJob"), []);
    assert.ok(!llmisvc(pinned, "qwen3-8b").spec.template.initContainers[0].env.some((e: Json) => e.name === "MOVING_REF"));
  });
});
