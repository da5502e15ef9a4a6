import * as assert from "assert";
import * as path from "path";
import { summarize } from "../automation/plan/render";
import { runPlan } from "../automation/plan/run";
import { parsePlatformConfig, PlatformInput } from "../components/config";
import { LlmPlatform } from "../components/platform";
import { ChartCrdValidator } from "./harness/chart-crds";
import { expectIssue } from "./harness/config-issues";
import { baseConfig } from "./harness/fixtures";
import * as k8s from "@pulumi/kubernetes";
import { ModelService } from "../components/serving";
import { RecordedResource, runMocked, runMockedExpectingError } from "./harness/pulumi";
import { kubernetesSchemas } from "./harness/schema";

// Autoscaled models through the whole platform under mocks: what the config refuses, the KEDA
// release, each model's ScaledObject and the LLMInferenceService that leaves replicas to it.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions walk untyped Kubernetes JSON

const SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject";
const LLMISVC = "kubernetes:serving.kserve.io/v1alpha2:LLMInferenceService";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const PROMETHEUS = "http://prometheus-operated.monitoring.svc:9090";

const qwen = { name: "q", source: { uri: "hf://Qwen/Qwen3-8B" }, pool: "l4", architecture: "qwen3-8b", servedModelName: "Qwen/Qwen3-8B" };

function withModels(models: NonNullable<PlatformInput["models"]>, monitoring: PlatformInput["monitoring"] = { prometheusOperator: true, prometheusUrl: PROMETHEUS }): PlatformInput {
  const raw = baseConfig();
  raw.models = models;
  raw.monitoring = monitoring;
  return raw;
}

const byType = (resources: readonly RecordedResource[], type: string) => resources.filter((r) => r.type === type).map((r) => r.inputs as Json);

describe("model autoscaling config", () => {
  it("refuses scale to zero, saying why", () => {
    expectIssue(withModels([{ ...qwen, autoscaling: { minReplicas: 0, maxReplicas: 2 } }]), "models[0].autoscaling.minReplicas", /scale to zero.*503.*flowControl.*minutes to start/);
  });

  it("refuses fixed replicas beside autoscaling and inverted bounds", () => {
    expectIssue(withModels([{ ...qwen, replicas: 2, autoscaling: { minReplicas: 1, maxReplicas: 2 } }]), "models[0].replicas", /and autoscaling are mutually exclusive/);
    expectIssue(withModels([{ ...qwen, autoscaling: { minReplicas: 3, maxReplicas: 2 } }]), "models[0].autoscaling.minReplicas", /3 is above maxReplicas 2/);
  });

  it("refuses the router-queue signal, which the pinned router never emits", () => {
    expectIssue(
      withModels([{ ...qwen, autoscaling: { minReplicas: 1, maxReplicas: 2, signals: { routerQueue: { target: 2 } } } }]),
      "models[0].autoscaling.signals.routerQueue",
      /llm_d_epp_flow_control_queue_size.*flowControl feature gate/,
    );
  });

  it("refuses the former hpa backend and accepts keda", () => {
    expectIssue(withModels([{ ...qwen, autoscaling: { minReplicas: 1, maxReplicas: 2, backend: "hpa" } }]), "models[0].autoscaling.backend", /Workload Variant Autoscaler.*KEDA ScaledObject/);
    assert.strictEqual(parsePlatformConfig(withModels([{ ...qwen, autoscaling: { minReplicas: 1, maxReplicas: 2, backend: "keda" } }])).models[0].autoscaling?.backend, "keda");
  });

  it("refuses autoscaling with no Prometheus to query, even with the operator's scrape objects", () => {
    expectIssue(withModels([{ ...qwen, autoscaling: { minReplicas: 1, maxReplicas: 2 } }], { prometheusOperator: true }), "models[0].autoscaling", /needs a Prometheus to query.*monitoring\.install.*monitoring\.prometheusUrl/);
  });

  it("refuses a target outside its range, with the field's path", () => {
    expectIssue(
      withModels([{ ...qwen, autoscaling: { minReplicas: 1, maxReplicas: 2, signals: { kvCacheUtilization: { target: 80 } } } }]),
      "models[0].autoscaling.signals.kvCacheUtilization.target",
      /at most 1/,
    );
  });
});

describe("autoscaled models on the platform", () => {
  it("installs KEDA, gives each autoscaled model a ScaledObject on its Deployment and leaves its replicas unset", async function () {
    this.timeout(240_000); // compiles the LLMInferenceService CRD schema
    const config = parsePlatformConfig(
      withModels([
        { ...qwen, autoscaling: { minReplicas: 1, maxReplicas: 3, signals: { waitingRequests: { target: 6 }, kvCacheUtilization: { target: 0.8 } } } },
        { ...qwen, name: "fixed", servedModelName: "fixed", replicas: 1 },
      ]),
    );
    const { recorder, result } = await runMocked(() => new LlmPlatform("t", { config }));
    const keda = byType(recorder.resources, RELEASE).find((r) => r.name === "keda");
    assert.ok(keda, "the keda release");
    assert.deepStrictEqual([keda.chart, keda.version, keda.namespace], ["keda", "2.20.2", "keda"]);
    assert.deepStrictEqual(keda.repositoryOpts, { repo: "https://kedacore.github.io/charts" });

    const scaled = byType(recorder.resources, SCALED_OBJECT);
    assert.deepStrictEqual(
      scaled.map((s) => s.metadata.name),
      ["q-scaler"],
      "only the autoscaled model has a ScaledObject",
    );
    const so = scaled[0];
    assert.deepStrictEqual(so.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "q-kserve" });
    assert.deepStrictEqual([so.spec.minReplicaCount, so.spec.maxReplicaCount], [1, 3]);
    assert.deepStrictEqual(
      so.spec.triggers.map((t: Json) => [t.metadata.query, t.metadata.threshold, t.metadata.serverAddress]),
      [
        ['sum(vllm:num_requests_waiting{namespace="llm-models",model_name="Qwen/Qwen3-8B"})', "6", PROMETHEUS],
        ['sum(vllm:kv_cache_usage_perc{namespace="llm-models",model_name="Qwen/Qwen3-8B"})', "0.8", PROMETHEUS],
      ],
    );
    assert.deepStrictEqual(new ChartCrdValidator("keda").validate(so as { apiVersion: string; kind: string }), []);

    const services = byType(recorder.resources, LLMISVC);
    const q = services.find((s) => s.metadata.name === "q");
    const fixed = services.find((s) => s.metadata.name === "fixed");
    assert.ok(q && fixed);
    assert.deepStrictEqual([q.spec.replicas, q.spec.scaling], [undefined, undefined], "KServe keeps the count KEDA sets");
    assert.strictEqual(fixed.spec.replicas, 1);
    for (const s of services) {
      assert.deepStrictEqual(await kubernetesSchemas().validate(s), [], `LLMInferenceService ${s.metadata.name}`);
    }
    // GPUs are planned for the maximum; the plan shows the bounds and the signals.
    const estimate = result.estimates.find((e) => e.model === "q");
    assert.deepStrictEqual([estimate?.replicas, estimate?.totalGpus], [3, 3]);
    assert.deepStrictEqual(estimate?.scaling, { minReplicas: 1, maxReplicas: 3, signal: "waiting requests 6/replica, KV cache 80%/replica", scaleDownAfterSeconds: 600 });
  });

  it("queries the installed monitoring stack's Prometheus when monitoring.install is on", async () => {
    const config = parsePlatformConfig(withModels([{ ...qwen, autoscaling: { minReplicas: 1, maxReplicas: 2 } }], { install: true }));
    const { recorder } = await runMocked(() => new LlmPlatform("t", { config }));
    const [so] = byType(recorder.resources, SCALED_OBJECT);
    assert.strictEqual(so.spec.triggers[0].metadata.serverAddress, "http://kube-prometheus-stack-prometheus.monitoring.svc:9090");
  });

  it("a model service refuses an autoscaled model without a Prometheus URL, before registering its scaler", async () => {
    const [model] = parsePlatformConfig(withModels([{ ...qwen, autoscaling: { minReplicas: 1, maxReplicas: 2 } }])).models;
    const { recorder, error } = await runMockedExpectingError(
      () => new ModelService("t", { model, namespace: "llm-models", provider: new k8s.Provider("k", {}), gateway: { name: "inference-gateway", namespace: "llm-gateway" } }),
    );
    assert.match(String(error), /model q: autoscaling needs the Prometheus URL its scaler queries/);
    assert.deepStrictEqual(byType(recorder.resources, SCALED_OBJECT), []);
  });

  it("installs no KEDA when no model autoscales", async () => {
    const config = parsePlatformConfig(withModels([{ ...qwen, replicas: 1 }]));
    const { recorder } = await runMocked(() => new LlmPlatform("t", { config }));
    assert.deepStrictEqual(byType(recorder.resources, RELEASE).filter((r) => r.name === "keda"), []);
    assert.deepStrictEqual(byType(recorder.resources, SCALED_OBJECT), []);
  });
});

describe("plan of the prod stack", () => {
  it("prints each model's replica bounds and what it scales on", async function () {
    this.timeout(240_000);
    const run = await runPlan(path.resolve(__dirname, "..", "stacks"), "prod");
    assert.ok(run.ok, run.ok ? "" : JSON.stringify(run.issues));
    const [header, ...rows] = summarize("prod", run.resources, run.outputs).models;
    const col = (name: string) => header.indexOf(name);
    assert.deepStrictEqual(
      rows.map((r) => [r[col("model")], r[col("replicas")], r[col("scales on")], r[col("GPUs")]]),
      [
        ["llama-3-1-70b", "2..3", "waiting requests 4/replica, KV cache 80%/replica; down after 600 s", "12"],
        ["qwen3-32b", "2..6", "waiting requests 4/replica, KV cache 80%/replica; down after 600 s", "12"],
      ],
    );
  });
});
