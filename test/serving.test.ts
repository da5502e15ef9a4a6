import * as assert from "assert";
import * as fc from "fast-check";
import { parse } from "yaml";
import { parsePlatformConfig, PlatformInput } from "../components/config";
import * as k8s from "@pulumi/kubernetes";
import { describePool } from "../components/cluster/pool-descriptor";
import { LlmPlatform } from "../components/platform";
import {
  duplicateObjects,
  endpoint,
  gkeRouteRules,
  llmInferenceService,
  ModelService,
  endpointPickerConfig,
  EPP_CONFIG_FILE,
  routerReleaseName,
  routerReleaseObjects,
  routerValues,
  RouterValues,
  sharedMemorySize,
  PRESET_STARTUP_SECONDS,
  startupBudgetSeconds,
  startupFailureThreshold,
  vllmArgs,
  modelsNetworkPolicies,
  portsExcept,
} from "../components/serving";
import { gatewaySource } from "../components/platform";
import { baseConfig } from "./harness/fixtures";
import { eppConfigProblems } from "./harness/epp-schema";
import { RecordedResource, resolved, runMocked } from "./harness/pulumi";
import { kubernetesSchemas } from "./harness/schema";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions walk untyped Kubernetes JSON

const LLMISVC = "kubernetes:serving.kserve.io/v1alpha2:LLMInferenceService";
const RELEASE = "kubernetes:helm.sh/v3:Release";

/** Builds the platform from a config under mocks; returns what was registered and the endpoints. */
async function platformFor(raw: PlatformInput) {
  const config = parsePlatformConfig(raw);
  const { recorder, result } = await runMocked(() => new LlmPlatform("t", { config }));
  return { recorder, platform: result, endpoints: await resolved(result.endpoints) };
}

function service(resources: RecordedResource[], model: string): Json {
  const found = resources.find((r) => r.type === LLMISVC && (r.inputs as Json).metadata.name === model);
  assert.ok(found, `LLMInferenceService ${model}`);
  return found.inputs as Json;
}

function routerRelease(resources: RecordedResource[], model: string): { release: RecordedResource; epp: Json } {
  const release = resources.find((r) => r.type === RELEASE && r.inputs.name === `${model}-router`);
  assert.ok(release, `router release of ${model}`);
  const values = release.inputs.values as Json;
  return { release, epp: parse(values.router.epp.pluginsCustomConfig[EPP_CONFIG_FILE]) };
}

const main = (svc: Json, at: "template" | "worker" = "template"): Json => svc.spec[at].containers.find((c: Json) => c.name === "main");

/** Scorer weights of the default (or named) scheduling profile. */
const weights = (epp: Json, profile = "default"): Record<string, number | undefined> =>
  Object.fromEntries(epp.schedulingProfiles.find((p: Json) => p.name === profile).plugins.map((p: Json) => [p.pluginRef, p.weight]));

function withModels(models: NonNullable<PlatformInput["models"]>, change: (c: ReturnType<typeof baseConfig>) => void = () => {}): PlatformInput {
  const raw = baseConfig();
  raw.models = models;
  change(raw);
  return raw;
}

async function validAgainstSchemas(resources: RecordedResource[]): Promise<void> {
  for (const r of resources.filter((r) => r.type === LLMISVC)) {
    assert.deepStrictEqual(await kubernetesSchemas().validate(r.inputs), [], `LLMInferenceService ${r.name}`);
  }
}

describe("model services", () => {
  describe("a single-GPU model (Qwen3-8B on g6.xlarge, llm-d routing)", () => {
    it("runs vLLM on one GPU of its pool, non-root, with writable caches and prefix caching on", async () => {
      const { recorder } = await platformFor(withModels([{ name: "qwen3-8b", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b", dtype: "fp8" }]));
      const svc = service(recorder.resources, "qwen3-8b");
      assert.strictEqual(svc.apiVersion, "serving.kserve.io/v1alpha2");
      assert.deepStrictEqual(svc.spec.model, { uri: "hf://Qwen/Qwen3-8B", name: "qwen3-8b" });
      assert.deepStrictEqual(svc.spec.parallelism, { tensor: 1 });
      assert.strictEqual(svc.spec.replicas, 1);
      const c = main(svc);
      assert.deepStrictEqual(c.resources, { requests: { "nvidia.com/gpu": "1" }, limits: { "nvidia.com/gpu": "1" } });
      assert.deepStrictEqual(c.args, ["--max-model-len=8192", "--gpu-memory-utilization=0.9", "--enable-prefix-caching", "--block-size=64", "--quantization=fp8"]);
      assert.strictEqual(c.lifecycle, undefined, "vLLM keeps the preset's preStop sleep, which its image can run");
      assert.deepStrictEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true });
      assert.deepStrictEqual(
        c.volumeMounts.map((m: Json) => m.mountPath),
        ["/.cache", "/.triton", "/.config", "/dev/shm"],
      );
      assert.deepStrictEqual(svc.spec.template.nodeSelector, { "llm-platform.io/pool": "l4" });
      assert.deepStrictEqual(svc.spec.template.tolerations, [{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]);
      assert.strictEqual(svc.spec.template.terminationGracePeriodSeconds, 120);
      assert.deepStrictEqual(svc.spec.template.volumes.find((v: Json) => v.name === "dshm"), { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } });
      await validAgainstSchemas(recorder.resources);
    });

    it("routes through its llm-d router's InferencePool on the shared gateway", async () => {
      const { recorder, endpoints } = await platformFor(withModels([{ name: "qwen3-8b", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b" }]));
      const svc = service(recorder.resources, "qwen3-8b");
      assert.deepStrictEqual(svc.spec.router, {
        route: {},
        gateway: { refs: [{ name: "inference-gateway", namespace: "llm-gateway" }] },
        scheduler: { pool: { ref: { name: "qwen3-8b-router" } } },
      });
      const { release, epp } = routerRelease(recorder.resources, "qwen3-8b");
      assert.strictEqual(release.inputs.chart, "oci://ghcr.io/llm-d/charts/llm-d-router-gateway");
      assert.strictEqual(release.inputs.version, "v0.10.0");
      assert.strictEqual(release.inputs.namespace, "llm-models");
      const values = release.inputs.values as Json;
      assert.deepStrictEqual(values.router.modelServers, { matchLabels: { "app.kubernetes.io/name": "qwen3-8b", "kserve.io/component": "workload" }, targetPorts: [{ number: 8000 }] });
      assert.strictEqual(values.router.epp.replicas, 2);
      assert.strictEqual(values.router.epp.image.tag, "v0.10.0");
      assert.deepStrictEqual(values.httpRoute, { create: false });
      assert.deepStrictEqual(eppConfigProblems(epp), []);
      // Defaults measured by the routing benchmark (bench/routing/RESULTS.md): queue above prefix.
      assert.deepStrictEqual(weights(epp), { "prefix-cache-scorer": 2, "queue-scorer": 3, "kv-cache-utilization-scorer": 2, "max-score-picker": undefined });
      // The producer sizes its index from vLLM's reported KV blocks (autoTune); it hashes in the
      // model's block size, the fallback when the metrics carry none.
      assert.deepStrictEqual(epp.plugins.find((p: Json) => p.type === "approx-prefix-cache-producer").parameters, { autoTune: true, blockSizeTokens: 64 });
      // The service waits for its router (the pool it points at).
      const svcResource = recorder.resources.find((r) => r.type === LLMISVC) as RecordedResource;
      assert.ok(svcResource.dependencies.includes(release.urn));
      assert.deepStrictEqual(endpoints, [
        {
          model: "qwen3-8b",
          servedModelName: "qwen3-8b",
          namespace: "llm-models",
          baseUrl: "http://<gateway-address>/llm-models/qwen3-8b/v1",
          source: "pending-address",
          curl: `curl -s http://<gateway-address>/llm-models/qwen3-8b/v1/chat/completions -H 'Content-Type: application/json' -d '{"model":"qwen3-8b","messages":[{"role":"user","content":"Say hello."}]}'`,
        },
      ]);
    });

    it("takes scorer weights from config", async () => {
      const { recorder } = await platformFor(
        withModels([{ name: "q", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b", scorerWeights: { prefixCache: 5, queue: 1, kvCacheUtilization: 0 } }]),
      );
      const { epp } = routerRelease(recorder.resources, "q");
      assert.deepStrictEqual(weights(epp), { "prefix-cache-scorer": 5, "queue-scorer": 1, "max-score-picker": undefined });
      assert.deepStrictEqual(eppConfigProblems(epp), []);
    });
  });

  describe("a TP=4 Llama-3.1-70B on p5.48xlarge", () => {
    it("asks for 4 GPUs, sizes /dev/shm for NCCL and budgets the startup probe from its weights, not the restore", async () => {
      const { recorder, platform } = await platformFor(baseConfig());
      const svc = service(recorder.resources, "llama-70b");
      assert.deepStrictEqual(svc.spec.parallelism, { tensor: 4 });
      assert.deepStrictEqual(main(svc).resources.limits, { "nvidia.com/gpu": "4" });
      assert.strictEqual(svc.spec.template.volumes.find((v: Json) => v.name === "dshm").emptyDir.sizeLimit, "32Gi");
      const restore = platform.estimates[0].restore?.seconds ?? 0;
      assert.ok(restore > 10);
      // KServe's download runs in an init container before probes start: 141 GB at 1 GB/s + 4 ranks + compile
      // = 501 s, under the preset's 600 s, which is the floor.
      assert.strictEqual(main(svc).startupProbe.failureThreshold, 60);
      assert.strictEqual(main(svc).startupProbe.periodSeconds, 10);
      assert.deepStrictEqual(main(svc).startupProbe.httpGet, { path: "/health", port: 8000 });
      assert.strictEqual(svc.metadata.annotations["llm-platform.io/revision"], "945c8663693130f8be2ee66210e062158b2a9693");
      // KServe downloads this one itself, so the revision rides on the URI.
      assert.strictEqual(svc.spec.model.uri, "hf://meta-llama/Llama-3.1-70B-Instruct:945c8663693130f8be2ee66210e062158b2a9693");
      await validAgainstSchemas(recorder.resources);
    });
  });

  describe("a prefill/decode disaggregated model", () => {
    it("adds a prefill workload and a P/D router profile", async () => {
      const raw = baseConfig();
      raw.models[0].disaggregation = { prefillReplicas: 2, prefillTensorParallel: 4 };
      const { recorder } = await platformFor(raw);
      const svc = service(recorder.resources, "llama-70b");
      assert.strictEqual(svc.spec.prefill.replicas, 2);
      assert.deepStrictEqual(svc.spec.prefill.parallelism, { tensor: 4 });
      assert.deepStrictEqual(svc.spec.prefill.template.containers[0].resources.limits, { "nvidia.com/gpu": "4" });
      const { epp } = routerRelease(recorder.resources, "llama-70b");
      assert.deepStrictEqual(eppConfigProblems(epp), []);
      assert.deepStrictEqual(epp.schedulingProfiles.map((p: Json) => p.name), ["prefill", "decode"]);
      assert.strictEqual(epp.schedulingProfiles[0].plugins[0].pluginRef, "prefill-filter");
      assert.deepStrictEqual(epp.plugins.find((p: Json) => p.type === "disagg-profile-handler").parameters, { deciders: { prefill: "prefix-based-pd-decider" } });
      assert.ok(!epp.plugins.some((p: Json) => p.type === "single-profile-handler"));
      await validAgainstSchemas(recorder.resources);
    });
  });

  describe("a multi-node model", () => {
    it("spans two nodes with data parallelism through a LeaderWorkerSet worker", async () => {
      const raw = baseConfig();
      raw.gpuPools[0].multiNode = true;
      raw.models[0] = { ...raw.models[0], name: "llama-405b", architecture: "llama-3.1-405b", dtype: "fp8", tensorParallel: 8, dataLocal: 2, maxModelLen: 16384 };
      const { recorder } = await platformFor(raw);
      const svc = service(recorder.resources, "llama-405b");
      assert.deepStrictEqual(svc.spec.parallelism, { tensor: 8, data: 2, dataLocal: 1 });
      assert.deepStrictEqual(main(svc, "worker").resources.limits, { "nvidia.com/gpu": "8" });
      assert.deepStrictEqual(main(svc).resources.limits, { "nvidia.com/gpu": "8" });
      assert.ok(!main(svc).args.some((a: string) => a.startsWith("--data-parallel-size")), "the multi-node preset sets data parallelism");
      assert.ok(recorder.resources.some((r) => r.type === RELEASE && r.inputs.name === "lws"), "LeaderWorkerSet is installed for multi-node pools");
      await validAgainstSchemas(recorder.resources);
    });
  });

  describe("a simulator model", () => {
    it("runs llm-d-inference-sim on CPU with no GPU request, no pool and no download", async () => {
      const { recorder, endpoints } = await platformFor(
        withModels([{ name: "sim", source: { uri: "hf://Qwen/Qwen3-8B" }, architecture: "qwen3-8b", simulator: true, servedModelName: "Qwen/Qwen3-8B" }]),
      );
      const svc = service(recorder.resources, "sim");
      const c = main(svc);
      assert.strictEqual(c.image, "ghcr.io/llm-d/llm-d-inference-sim:v0.10.2");
      assert.deepStrictEqual(c.command, ["/app/llm-d-inference-sim"]);
      assert.deepStrictEqual(c.args, ["--port=8000", "--model=Qwen/Qwen3-8B", "--served-model-name=Qwen/Qwen3-8B", "--max-model-len=8192", "--mode=random", "--force-dummy-tokenizer"]);
      assert.deepStrictEqual(c.resources, { requests: { cpu: "200m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } });
      assert.strictEqual(svc.spec.template.nodeSelector, undefined);
      assert.strictEqual(svc.spec.template.tolerations, undefined);
      assert.deepStrictEqual(svc.spec.storageInitializer, { enabled: false });
      assert.strictEqual(svc.spec.parallelism, undefined);
      // KServe's preset preStop runs /bin/sleep, which the distroless image lacks. The merge keeps the
      // preset's exec beside any other handler, so the override is an exec of the image's one binary.
      assert.deepStrictEqual(c.lifecycle, { preStop: { exec: { command: ["/app/llm-d-inference-sim", "--help"] } } });
      assert.strictEqual(c.lifecycle.preStop.exec.command[0], c.command[0], "the hook runs the binary the image ships");
      assert.strictEqual(endpoints[0].servedModelName, "Qwen/Qwen3-8B");
      assert.match(endpoints[0].curl, /"model":"Qwen\/Qwen3-8B"/);
      await validAgainstSchemas(recorder.resources);
    });
  });

  describe("routing modes", () => {
    it("kserve: KServe's managed scheduler with the same scoring inline, two replicas, no router release", async () => {
      const { recorder } = await platformFor(withModels([{ name: "q", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b", routing: "kserve" }]));
      const svc = service(recorder.resources, "q");
      assert.strictEqual(svc.spec.router.scheduler.replicas, 2);
      const inline = svc.spec.router.scheduler.config.inline;
      assert.strictEqual(inline.apiVersion, "inference.networking.x-k8s.io/v1alpha1");
      assert.deepStrictEqual(eppConfigProblems(inline), []);
      assert.strictEqual(weights(inline)["prefix-cache-scorer"], 2);
      assert.strictEqual(weights(inline)["queue-scorer"], 3);
      assert.ok(!recorder.resources.some((r) => r.type === RELEASE && r.inputs.name === "q-router"));
      await validAgainstSchemas(recorder.resources);
    });

    it("precise: vLLM publishes KV events and the router indexes them", async () => {
      const { recorder } = await platformFor(withModels([{ name: "q", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b", routing: "precise" }]));
      const c = main(service(recorder.resources, "q"));
      const kvEvents = c.args.find((a: string) => a.startsWith("--kv-events-config="));
      assert.deepStrictEqual(JSON.parse(kvEvents.slice("--kv-events-config=".length)), {
        enable_kv_cache_events: true,
        publisher: "zmq",
        endpoint: "tcp://*:5557",
        topic: "kv@$(POD_IP):8000@q",
      });
      assert.deepStrictEqual(c.env.map((e: Json) => e.name), ["POD_IP", "PYTHONHASHSEED"]);
      const { epp, release } = routerRelease(recorder.resources, "q");
      assert.deepStrictEqual(eppConfigProblems(epp), []);
      const producer = epp.plugins.find((p: Json) => p.type === "precise-prefix-cache-producer");
      assert.deepStrictEqual(producer.parameters.tokenProcessorConfig, { blockSizeTokens: 64, hashSeed: "42" });
      assert.strictEqual((release.inputs.values as Json).router.tokenizer.modelName, "Qwen/Qwen3-8B");
      await validAgainstSchemas(recorder.resources);
    });

    it("round-robin (dev only): no scheduler at all", async () => {
      const { recorder } = await platformFor(withModels([{ name: "q", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b", routing: "round-robin" }]));
      assert.strictEqual(service(recorder.resources, "q").spec.router.scheduler, undefined);
    });
  });

  describe("pure builders", () => {
    it("vLLM args follow the model: fp8 KV cache, single-node data parallel, LoRA, extra args last", () => {
      const config = parsePlatformConfig(
        withModels([
          {
            name: "q",
            source: { uri: "hf://Qwen/Qwen3-8B" },
            pool: "h100",
            architecture: "qwen3-8b",
            kvCacheDtype: "fp8",
            dataLocal: 2,
            loraAdapters: [{ name: "sql", uri: "hf://org/sql-lora" }],
            extraArgs: ["--max-num-seqs=128"],
          },
        ]),
      );
      assert.deepStrictEqual(vllmArgs(config.models[0]).slice(4), ["--kv-cache-dtype=fp8", "--data-parallel-size=2", "--max-num-seqs=128"]);
    });

    it("leaves the LoRA flags to KServe, which adds --enable-lora and --max-loras from spec.model.lora.maxAdapters", () => {
      const config = parsePlatformConfig(
        withModels([
          {
            name: "q",
            source: { uri: "hf://Qwen/Qwen3-8B" },
            pool: "l4",
            architecture: "qwen3-8b",
            loraAdapters: [{ name: "sql", uri: "hf://org/sql-lora" }, { name: "chat", uri: "hf://org/chat-lora" }],
          },
        ]),
      );
      const model = config.models[0];
      assert.ok(!vllmArgs(model).some((a) => a.startsWith("--enable-lora") || a.startsWith("--max-loras")), vllmArgs(model).join(" "));
      const svc = llmInferenceService({
        model,
        pool: describePool(config.gpuPools[1]),
        namespace: "llm-models",
        gateway: { name: "inference-gateway", namespace: "llm-gateway" },
        poolName: "q-router",
        restoreSeconds: 0,
        labels: {},
      }) as Json;
      assert.deepStrictEqual(svc.spec.model.lora, {
        adapters: [{ name: "sql", uri: "hf://org/sql-lora" }, { name: "chat", uri: "hf://org/chat-lora" }],
        maxAdapters: 2,
      });
    });

    it("every EPP flavour renders a config the upstream schema accepts", () => {
      for (const flavour of ["llm-d", "kserve", "precise"] as const) {
        for (const disaggregation of [false, true]) {
          const config = endpointPickerConfig({ weights: { prefixCache: 3, queue: 2, kvCacheUtilization: 2 }, blockSize: 64, disaggregation, flavour, tokenizerModel: "Qwen/Qwen3-8B" });
          assert.deepStrictEqual(eppConfigProblems(config), [], `${flavour} P/D=${disaggregation}`);
        }
      }
    });

    it("the EPP schema rejects unknown parameters, unknown plugins and dangling references", () => {
      const good = endpointPickerConfig({ weights: { prefixCache: 3, queue: 2, kvCacheUtilization: 2 }, blockSize: 64, disaggregation: false, flavour: "llm-d" });
      const badParam = { ...good, plugins: good.plugins.map((p) => (p.type === "prefix-cache-scorer" ? { ...p, parameters: { hashBlockSize: 64 } } : p)) };
      assert.match(eppConfigProblems(badParam).join("\n"), /prefix-cache-scorer\)\.parameters\.: Unrecognized key: "hashBlockSize"/);
      const badType = { ...good, plugins: [...good.plugins, { type: "magic-scorer" }] };
      assert.match(eppConfigProblems(badType).join("\n"), /plugin type magic-scorer is not one this schema knows/);
      const dangling = { ...good, schedulingProfiles: [{ name: "default", plugins: [{ pluginRef: "nope", weight: 1 }] }] };
      assert.match(eppConfigProblems(dangling).join("\n"), /pluginRef nope names no declared plugin/);
      assert.match(eppConfigProblems({ ...good, kind: "Config" }).join("\n"), /kind/);
    });

    it("endpoints prefer KServe's status URL, then the gateway address, then a placeholder", () => {
      const base = { model: "m", servedModelName: "m", namespace: "ns", scheme: "https" as const };
      assert.deepStrictEqual(
        [endpoint({ ...base, statusUrl: "http://10.0.0.1/ns/m/" }), endpoint({ ...base, gatewayAddress: "lb.example.com" }), endpoint(base)].map((e) => [e.baseUrl, e.source]),
        [
          ["http://10.0.0.1/ns/m/v1", "status.url"],
          ["https://lb.example.com/ns/m/v1", "gateway-route"],
          ["https://<gateway-address>/ns/m/v1", "pending-address"],
        ],
      );
    });

    it("startup budget: weights from local disk at the stated rate, rank setup and compile time, never below the preset's 600 s", () => {
      assert.strictEqual(PRESET_STARTUP_SECONDS, 600);
      // An 8B model at TP 1: 16 + 15 + 300 s is well inside the preset's budget.
      assert.strictEqual(startupBudgetSeconds({ weightBytes: 16e9, tensorParallel: 1 }), 600);
      // Llama-3.1-405B in bf16 at TP 8: 810 GB at 1 GB/s + 8 × 15 + 300 s.
      assert.strictEqual(startupBudgetSeconds({ weightBytes: 810e9, tensorParallel: 8 }), 1230);
      // Streaming reads the store while vLLM starts: its estimate replaces the local read.
      assert.strictEqual(startupBudgetSeconds({ weightBytes: 810e9, tensorParallel: 8, streamSeconds: 400 }), 820);
      assert.strictEqual(startupFailureThreshold(1230), 123);
      fc.assert(
        fc.property(fc.double({ min: 0, max: 5e12, noNaN: true }), fc.integer({ min: 1, max: 64 }), fc.option(fc.double({ min: 0, max: 1e5, noNaN: true }), { nil: undefined }), (bytes, tp, stream) => {
          const budget = startupBudgetSeconds({ weightBytes: bytes, tensorParallel: tp, streamSeconds: stream });
          return budget >= 600 && startupFailureThreshold(budget) * 10 >= budget && budget >= (stream ?? bytes / 1e9);
        }),
      );
    });

    it("every model's vLLM gets at least the preset's startup budget, the simulator included", async () => {
      const { recorder } = await platformFor(
        withModels([
          { name: "q", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b" },
          { name: "sim", source: { uri: "hf://Qwen/Qwen3-8B" }, architecture: "qwen3-8b", simulator: true },
        ]),
      );
      for (const name of ["q", "sim"]) {
        const probe = main(service(recorder.resources, name)).startupProbe;
        assert.ok(probe.failureThreshold * probe.periodSeconds >= 600, `${name}: ${probe.failureThreshold} × ${probe.periodSeconds} s`);
      }
    });

    it("endpoints use the gateway's HTTPS hostname over its load-balancer address, which TLS and the listener would not match", () => {
      const base = { model: "m", servedModelName: "m", namespace: "ns", scheme: "http" as const };
      assert.deepStrictEqual(
        [
          endpoint({ ...base, hostname: "llm.example.com", gatewayAddress: "k8s-lb-123.elb.amazonaws.com" }),
          endpoint({ ...base, hostname: "llm.example.com" }),
          endpoint({ ...base, hostname: "llm.example.com", statusUrl: "https://llm.example.com/ns/m" }),
        ].map((e) => [e.baseUrl, e.source]),
        [
          ["https://llm.example.com/ns/m/v1", "gateway-hostname"],
          ["https://llm.example.com/ns/m/v1", "gateway-hostname"],
          ["https://llm.example.com/ns/m/v1", "status.url"],
        ],
      );
      assert.match(endpoint({ ...base, hostname: "llm.example.com", gatewayAddress: "10.0.0.9" }).curl, /^curl -s https:\/\/llm\.example\.com\/ns\/m\/v1\/chat\/completions /);
    });

    it("a platform with a gateway hostname exports the hostname URL", async () => {
      const { endpoints } = await platformFor(
        withModels([{ name: "q", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b" }], (c) => {
          c.gateway = { exposure: "internal", hostname: "llm.internal.example.com", issuer: { name: "internal-ca" } };
        }),
      );
      assert.deepStrictEqual([endpoints[0].baseUrl, endpoints[0].source], ["https://llm.internal.example.com/llm-models/q/v1", "gateway-hostname"]);
    });

    it("shared memory grows with tensor parallelism up to a cap", () => {
      assert.deepStrictEqual([1, 2, 4, 8, 16].map(sharedMemorySize), ["1Gi", "16Gi", "32Gi", "64Gi", "64Gi"]);
    });
  });

  describe("routes on GKE's Gateway", () => {
    const config = () => parsePlatformConfig(withModels([
      { name: "qwen3-8b", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b", servedModelName: "Qwen/Qwen3-8B" },
      { name: "k", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b", routing: "kserve" },
      { name: "rr", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b", routing: "round-robin" },
    ]));
    const build = (model: ReturnType<typeof config>["models"][number], gke: boolean) =>
      llmInferenceService({
        model,
        pool: describePool(config().gpuPools[1]),
        namespace: "llm-models",
        gateway: { name: "inference-gateway", namespace: "llm-gateway" },
        poolName: `${model.name}-router`,
        restoreSeconds: 0,
        labels: {},
        gke,
      }) as Json;
    /** Every key anywhere in a JSON value. */
    const keys = (v: unknown): string[] => (typeof v === "object" && v !== null ? Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]) : []);

    it("replace the preset's rules with the same paths and no timeouts, sending the APIs to the model's scheduler", async () => {
      const svc = build(config().models[0], true);
      const rules = svc.spec.router.route.http.spec.rules;
      assert.ok(!keys(svc).includes("timeouts"), "no rule carries timeouts");
      assert.strictEqual(svc.spec.router.route.http.spec.parentRefs, undefined, "parentRefs come from gateway.refs");
      assert.deepStrictEqual(rules.map((r: Json) => [r.name, r.matches[0].path.value, r.backendRefs[0].kind, r.backendRefs[0].name]), [
        ["v1-completions-path", "/llm-models/qwen3-8b/v1/completions", "InferencePool", "qwen3-8b-router"],
        ["v1-chat-completions-path", "/llm-models/qwen3-8b/v1/chat/completions", "InferencePool", "qwen3-8b-router"],
        ["v1-responses-path", "/llm-models/qwen3-8b/v1/responses", "InferencePool", "qwen3-8b-router"],
        ["v1-messages-path", "/llm-models/qwen3-8b/v1/messages", "InferencePool", "qwen3-8b-router"],
        ["v1-completions-publisher-path", "/publishers/llm-models/models/Qwen/Qwen3-8B/v1/completions", "InferencePool", "qwen3-8b-router"],
        ["v1-chat-completions-publisher-path", "/publishers/llm-models/models/Qwen/Qwen3-8B/v1/chat/completions", "InferencePool", "qwen3-8b-router"],
        ["v1-responses-publisher-path", "/publishers/llm-models/models/Qwen/Qwen3-8B/v1/responses", "InferencePool", "qwen3-8b-router"],
        ["v1-messages-publisher-path", "/publishers/llm-models/models/Qwen/Qwen3-8B/v1/messages", "InferencePool", "qwen3-8b-router"],
        ["v1-publisher-path-catch-all", "/publishers/llm-models/models/Qwen/Qwen3-8B", "Service", "qwen3-8b-kserve-workload-svc"],
        ["v1-catch-all-path", "/llm-models/qwen3-8b", "Service", "qwen3-8b-kserve-workload-svc"],
      ]);
      assert.deepStrictEqual(rules[1].filters, [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v1/chat/completions" } } }]);
      assert.deepStrictEqual(rules[1].backendRefs, [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen3-8b-router", port: 8000, weight: 1 }]);
      assert.deepStrictEqual(await kubernetesSchemas().validate(svc), []);
    });

    it("send KServe-scheduled models to the managed pool and round-robin models to the workload Service", () => {
      const [, kserve, rr] = config().models;
      assert.deepStrictEqual(build(kserve, true).spec.router.route.http.spec.rules[0].backendRefs[0].name, "k-inference-pool");
      assert.deepStrictEqual(build(rr, true).spec.router.route.http.spec.rules[0].backendRefs[0], { kind: "Service", name: "rr-kserve-workload-svc", port: 8000, weight: 1 });
      assert.deepStrictEqual(gkeRouteRules({ name: "m", namespace: "n", servedModelName: "m", scheduler: { kind: "Service", name: "m-kserve-workload-svc" } }).length, 10);
    });

    it("elsewhere keep KServe's preset route (its timeouts off for long generations)", () => {
      assert.deepStrictEqual(build(config().models[0], false).spec.router.route, {});
    });

    it("the model service passes the GKE gateway on to its LLMInferenceService", async () => {
      const model = config().models[0];
      const { recorder } = await runMocked(
        () => new ModelService("t", { model, namespace: "llm-models", provider: new k8s.Provider("k", {}), gateway: { name: "inference-gateway", namespace: "llm-gateway" }, gke: true }),
      );
      const svc = service(recorder.resources, "qwen3-8b");
      assert.strictEqual(svc.spec.router.route.http.spec.rules.length, 10);
      assert.ok(!keys(svc).includes("timeouts"));
    });
  });

  describe("router releases", () => {
    const objectsOf = (model: string, values: RouterValues) => routerReleaseObjects({ name: routerReleaseName(model), namespace: "llm-models", values });
    const prodModels = () => parsePlatformConfig(withModels([
      { name: "llama-70b", source: { uri: "hf://meta-llama/Llama-3.1-70B-Instruct" }, pool: "h100", architecture: "llama-3.1-70b", tensorParallel: 4 },
      { name: "qwen3-8b", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "h100", architecture: "qwen3-8b" },
    ], (c) => (c.monitoring = { prometheusOperator: true }))).models;

    it("two releases scraped by the Prometheus operator render no object in common: each names its own metrics-reader Secret", () => {
      const [a, b] = prodModels();
      const objects = [a, b].map((m) => ({ owner: m.name, objects: objectsOf(m.name, routerValues(m, { prometheusOperator: true, gke: false })) }));
      assert.deepStrictEqual(duplicateObjects(objects), []);
      assert.deepStrictEqual(objects[0].objects.filter((o) => o.kind === "Secret"), [{ kind: "Secret", namespace: "llm-models", name: "llama-70b-router-epp-metrics-reader" }]);
      assert.ok(objects[0].objects.some((o) => o.kind === "ServiceMonitor" && o.name === "llama-70b-router-epp-monitor"));
      // The ServiceMonitor reads the token from the Secret the release names.
      assert.strictEqual(routerValues(a, { prometheusOperator: true, gke: false }).router?.monitoring?.prometheus?.auth?.secretName, "llama-70b-router-epp-metrics-reader");
    });

    it("the model follows the chart: with its default values every release renders the same Secret", () => {
      const values = { router: { monitoring: { prometheus: { enabled: true } } } };
      assert.deepStrictEqual(duplicateObjects([{ owner: "a", objects: objectsOf("a", values) }, { owner: "b", objects: objectsOf("b", values) }]), [
        { object: "Secret/llm-models/inference-gateway-sa-metrics-reader-secret", owners: ["a", "b"] },
      ]);
      // Cluster-scoped RBAC carries the namespace, so it never collides across namespaces.
      assert.ok(objectsOf("a", values).some((o) => o.kind === "ClusterRole" && o.namespace === undefined && o.name === "a-router-llm-models-epp"));
    });

    it("on GKE the releases take Managed Prometheus, whose objects are named per release", () => {
      const [a, b] = prodModels();
      const objects = [a, b].map((m) => ({ owner: m.name, objects: objectsOf(m.name, routerValues(m, { prometheusOperator: true, gke: true })) }));
      assert.deepStrictEqual(duplicateObjects(objects), []);
      const kinds = objects[0].objects.map((o) => `${o.kind}/${o.name}`);
      assert.ok(kinds.includes("Secret/llama-70b-router-metrics-reader-secret") && kinds.includes("PodMonitoring/llama-70b-router") && kinds.includes("GCPBackendPolicy/llama-70b-router"), kinds.join(" "));
      assert.ok(!kinds.some((k) => k.startsWith("ServiceMonitor/")), "no ServiceMonitor under Managed Prometheus");
    });
  });

  describe("config errors for serving options", () => {
    const reject = (raw: PlatformInput, pattern: RegExp) => assert.throws(() => parsePlatformConfig(raw), pattern);
    it("round-robin outside dev, P/D without a P/D-capable router or on the simulator, pools on simulators", () => {
      const staging = withModels([{ name: "q", source: { uri: "hf://a/b" }, pool: "l4", architecture: "qwen3-8b", routing: "round-robin" }], (c) => (c.environment.tier = "staging"));
      reject(staging, /models\[0\]\.routing: round-robin ignores vLLM's prefix cache and is only allowed in dev/);
      reject(withModels([{ name: "q", source: { uri: "hf://a/b" }, pool: "l4", architecture: "qwen3-8b", routing: "precise", disaggregation: { prefillReplicas: 1 } }]), /models\[0\]\.disaggregation: needs a P\/D router profile/);
      reject(withModels([{ name: "q", source: { uri: "hf://a/b" }, architecture: "qwen3-8b", simulator: true, disaggregation: { prefillReplicas: 1 } }]), /does not apply to simulator models/);
      reject(withModels([{ name: "q", source: { uri: "hf://a/b" }, pool: "l4", architecture: "qwen3-8b", simulator: true }]), /models\[0\]\.pool: does not apply to simulator models/);
      reject(withModels([{ name: "q", source: { uri: "hf://a/b" }, architecture: "qwen3-8b" }]), /models\[0\]\.pool: is required \(or set simulator: true/);
    });
    it("a prefill tensor parallel that does not fit", () => {
      const raw = baseConfig();
      raw.models[0].disaggregation = { prefillReplicas: 1, prefillTensorParallel: 1 };
      reject(raw, /models\[0\]\.disaggregation\.prefillTensorParallel: llama-3.1-70b does not fit 1 H100-80GB GPU/);
    });
  });

  describe("NetworkPolicies of the models namespace", () => {
    const envoy = { kind: "envoy", proxyNamespace: "envoy-gateway-system", gatewayName: "inference-gateway", gatewayNamespace: "llm-gateway" } as const;
    const policies = (models: { name: string; routing: "llm-d" | "precise" | "kserve" | "round-robin" }[], gateway: Parameters<typeof modelsNetworkPolicies>[0]["gateway"] = envoy) =>
      modelsNetworkPolicies({ namespace: "llm-models", models, gateway, labels: { a: "b" } }) as unknown as Json[];
    const byName = (list: Json[], name: string): Json => {
      const found = list.find((p) => p.metadata.name === name);
      assert.ok(found, `NetworkPolicy ${name}`);
      return found;
    };
    /** Ports a rule opens, as "from-to". */
    const ports = (rule: Json): string[] => rule.ports.map((p: Json) => `${p.port}-${p.endPort ?? p.port}`);
    const opens = (rule: Json, port: number) => rule.ports.some((p: Json) => p.port <= port && port <= (p.endPort ?? p.port));

    it("denies all ingress by default and opens the precise router's KV-event socket to its own EPP only", () => {
      const list = policies([{ name: "q", routing: "precise" }]);
      assert.deepStrictEqual(list.map((p) => p.metadata.name), ["default-deny-ingress", "q-serving", "q-router"]);
      assert.deepStrictEqual(byName(list, "default-deny-ingress").spec, { podSelector: {}, policyTypes: ["Ingress"], ingress: [] });
      const serving = byName(list, "q-serving");
      assert.deepStrictEqual(serving.spec.podSelector, { matchLabels: { "app.kubernetes.io/name": "q", "app.kubernetes.io/part-of": "llminferenceservice" } });
      const reaching5557 = serving.spec.ingress.filter((r: Json) => opens(r, 5557));
      assert.deepStrictEqual(reaching5557.map((r: Json) => r.from), [[{ podSelector: { matchLabels: { "llm-d-router-gateway": "q-router-epp" } } }]]);
      // The service's own pods reach every other port (presets pick their internal ports).
      assert.deepStrictEqual(ports(serving.spec.ingress[0]), ["1-5556", "5558-65535"]);
      const gatewayRule = serving.spec.ingress[1];
      assert.deepStrictEqual(gatewayRule.from[0].podSelector.matchLabels, {
        "gateway.envoyproxy.io/owning-gateway-name": "inference-gateway",
        "gateway.envoyproxy.io/owning-gateway-namespace": "llm-gateway",
      });
      assert.deepStrictEqual(gatewayRule.from[0].namespaceSelector, { matchLabels: { "kubernetes.io/metadata.name": "envoy-gateway-system" } });
      assert.deepStrictEqual(ports(gatewayRule), ["8000-8000"]);
      const router = byName(list, "q-router");
      assert.deepStrictEqual(router.spec.podSelector, { matchLabels: { "llm-d-router-gateway": "q-router-epp" } });
      assert.deepStrictEqual(router.spec.ingress.map(ports), [["9002-9002"], ["9090-9090"]]);
      assert.deepStrictEqual(router.spec.ingress[1].from[0], { namespaceSelector: { matchLabels: { "llm-platform.io/metrics-access": "true" } } });
    });

    it("kserve routing: the gateway reaches the managed scheduler's ext-proc; round-robin has no EPP at all", () => {
      const list = policies([
        { name: "k", routing: "kserve" },
        { name: "r", routing: "round-robin" },
      ]);
      assert.deepStrictEqual(list.map((p) => p.metadata.name), ["default-deny-ingress", "k-serving", "r-serving"]);
      assert.deepStrictEqual(byName(list, "k-serving").spec.ingress.slice(1).map(ports), [["8000-8000", "9002-9002"], ["8000-8000", "9090-9090"]]);
      assert.deepStrictEqual(byName(list, "r-serving").spec.ingress.map(ports), [["1-65535"], ["8000-8000"], ["8000-8000"]]);
    });

    it("on GKE the load balancer's proxy-only subnet and health-check ranges are the gateway, health port included", () => {
      const list = policies([{ name: "q", routing: "llm-d" }], { kind: "gke", proxyCidr: "10.9.0.0/23" });
      const router = byName(list, "q-router");
      assert.deepStrictEqual(router.spec.ingress[0].from, [{ ipBlock: { cidr: "10.9.0.0/23" } }, { ipBlock: { cidr: "35.191.0.0/16" } }, { ipBlock: { cidr: "130.211.0.0/22" } }]);
      assert.deepStrictEqual(ports(router.spec.ingress[0]), ["9002-9002", "9003-9003"]);
    });

    it("port ranges around an excluded port", () => {
      assert.deepStrictEqual(portsExcept(undefined), [{ protocol: "TCP", port: 1, endPort: 65535 }]);
      assert.deepStrictEqual(portsExcept(1), [{ protocol: "TCP", port: 2, endPort: 65535 }]);
      assert.deepStrictEqual(portsExcept(65535), [{ protocol: "TCP", port: 1, endPort: 65534 }]);
    });

    it("the gateway source follows the add-ons: the platform's Envoy Gateway, another install's, or none known", () => {
      assert.deepStrictEqual(gatewaySource(parsePlatformConfig(baseConfig())), envoy);
      assert.deepStrictEqual(gatewaySource(parsePlatformConfig({ ...baseConfig(), addons: { gateway: false } })), { ...envoy, proxyNamespace: undefined });
      assert.deepStrictEqual(gatewaySource(parsePlatformConfig({ ...baseConfig(), addons: { sharedGateway: false } })), { kind: "unknown" });
      const open = byName(policies([{ name: "q", routing: "llm-d" }], { kind: "unknown" }), "q-serving").spec.ingress[1];
      assert.deepStrictEqual(open.from, [{ namespaceSelector: {} }, { ipBlock: { cidr: "0.0.0.0/0" } }]);
    });

    it("the platform registers them in the models namespace after it, and they pass schema validation", async () => {
      const { recorder } = await platformFor(baseConfig());
      const registered = recorder.resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy");
      assert.deepStrictEqual(registered.map((r) => (r.inputs as Json).metadata.name).sort(), [
        "default-deny-ingress",
        "llama-70b-router",
        "llama-70b-serving",
        "qwen3-8b-router",
        "qwen3-8b-serving",
      ]);
      const namespace = recorder.resources.find((r) => r.type === "kubernetes:core/v1:Namespace" && (r.inputs as Json).metadata.name === "llm-models");
      assert.ok(namespace);
      for (const r of registered) {
        assert.strictEqual((r.inputs as Json).metadata.namespace, "llm-models");
        assert.ok(r.dependencies.includes(namespace.urn), `${r.name} waits for the namespace`);
        assert.deepStrictEqual(await kubernetesSchemas().validate(r.inputs), [], r.name);
      }
    });
  });
});
