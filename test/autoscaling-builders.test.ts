import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { load } from "js-yaml";
import { kedaValues, modelScaledObject, ScaledObjectOptions, scalingSummary, signalQuery } from "../components/autoscaling";
import { autoscalingSchema, scalingSignals } from "../components/config/autoscaling";
import { ChartCrdValidator } from "./harness/chart-crds";

// The ScaledObject builder and the KEDA chart values, as plain functions; objects are checked
// against the ScaledObject CRD the keda chart v2.20.2 ships.

const CHARTS = process.env.LLM_PLATFORM_CHARTS_DIR ?? path.resolve(__dirname, "..", "..", "shared", "charts");

const base: ScaledObjectOptions = {
  model: "qwen3-32b",
  servedModelName: "Qwen/Qwen3-32B",
  namespace: "llm-models",
  multiNode: false,
  disaggregated: false,
  minReplicas: 2,
  maxReplicas: 4,
  signals: [{ kind: "waitingRequests", target: 4 }],
  pollingIntervalSeconds: 15,
  scaleUpStabilizationSeconds: 0,
  scaleDownStabilizationSeconds: 600,
  prometheusUrl: "http://prometheus-operated.monitoring.svc:9090",
};

describe("model ScaledObject", () => {
  const crds = new ChartCrdValidator("keda");

  it("the keda chart's CRDs load, ScaledObject among them", () => {
    assert.ok(crds.kinds().includes("keda.sh/v1alpha1/ScaledObject"), crds.kinds().join(", "));
  });

  it("the validator refuses what the CRD refuses (unknown field, missing trigger type)", () => {
    const so = modelScaledObject(base);
    const bad = { ...so, spec: { ...so.spec, minReplicas: 1, triggers: [{ metadata: {} }] } };
    assert.deepStrictEqual(crds.validate(bad).sort(), ["/spec/triggers/0: must have required property 'type'", '/spec: unknown field "minReplicas"']);
  });

  it("targets KServe's Deployment with the bounds, windows and one Prometheus trigger per signal", () => {
    const so = modelScaledObject({ ...base, signals: [{ kind: "waitingRequests", target: 4 }, { kind: "kvCacheUtilization", target: 0.8 }] });
    assert.deepStrictEqual(crds.validate(so), []);
    assert.deepStrictEqual(so.metadata, { name: "qwen3-32b-scaler", namespace: "llm-models", labels: { "llm-platform.io/model": "qwen3-32b" } });
    assert.deepStrictEqual(so.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "qwen3-32b-kserve" });
    assert.deepStrictEqual([so.spec.minReplicaCount, so.spec.maxReplicaCount, so.spec.pollingInterval], [2, 4, 15]);
    assert.deepStrictEqual(so.spec.advanced.horizontalPodAutoscalerConfig, {
      name: "qwen3-32b-hpa",
      behavior: { scaleUp: { stabilizationWindowSeconds: 0 }, scaleDown: { stabilizationWindowSeconds: 600 } },
    });
    assert.deepStrictEqual(so.spec.fallback, { failureThreshold: 3, replicas: 2, behavior: "currentReplicas" });
    assert.deepStrictEqual(
      so.spec.triggers.map((t) => [t.name, t.type, t.metricType, t.metadata.threshold, t.metadata.query, t.metadata.serverAddress, t.metadata.ignoreNullValues]),
      [
        ["waiting-requests", "prometheus", "AverageValue", "4", 'sum(vllm:num_requests_waiting{namespace="llm-models",model_name="Qwen/Qwen3-32B"})', base.prometheusUrl, "false"],
        ["kv-cache-utilization", "prometheus", "AverageValue", "0.8", 'sum(vllm:kv_cache_usage_perc{namespace="llm-models",model_name="Qwen/Qwen3-32B"})', base.prometheusUrl, "false"],
      ],
    );
  });

  it("targets the LeaderWorkerSet of a multi-node model and leaves a disaggregated model's prefill pods out", () => {
    const so = modelScaledObject({ ...base, model: "big", multiNode: true, disaggregated: true });
    assert.deepStrictEqual(crds.validate(so), []);
    assert.deepStrictEqual(so.spec.scaleTargetRef, { apiVersion: "leaderworkerset.x-k8s.io/v1", kind: "LeaderWorkerSet", name: "big-kserve-mn" });
    assert.strictEqual(so.spec.triggers[0].metadata.query, 'sum(vllm:num_requests_waiting{namespace="llm-models",model_name="Qwen/Qwen3-32B",pod!~"big-kserve-(mn-)?prefill-.*"})');
  });

  it("escapes quotes and backslashes in label values", () => {
    assert.strictEqual(
      signalQuery("waitingRequests", { model: "m", namespace: "ns", servedModelName: 'a"b\\c', disaggregated: false }),
      'sum(vllm:num_requests_waiting{namespace="ns",model_name="a\\"b\\\\c"})',
    );
  });

  it("refuses no signal and bounds KEDA cannot take, naming the model", () => {
    assert.throws(() => modelScaledObject({ ...base, signals: [] }), /model qwen3-32b: autoscaling needs at least one signal/);
    assert.throws(() => modelScaledObject({ ...base, minReplicas: 0 }), /model qwen3-32b: replica bounds 0\.\.4 are not 1 <= min <= max/);
    assert.throws(() => modelScaledObject({ ...base, minReplicas: 5 }), /replica bounds 5\.\.4/);
  });
});

describe("autoscaling signals and plan summary", () => {
  const parse = (raw: unknown) => autoscalingSchema.parse(raw);

  it("defaults to waiting requests, 15 s polling, 10 min before scaling down", () => {
    const a = parse({ minReplicas: 1, maxReplicas: 3 });
    assert.deepStrictEqual(scalingSignals(a), [{ kind: "waitingRequests", target: 4 }]);
    assert.deepStrictEqual([a.pollingIntervalSeconds, a.scaleDownStabilizationSeconds, a.scaleUpStabilizationSeconds], [15, 600, 0]);
    assert.deepStrictEqual(scalingSummary({ replicas: 3, autoscaling: a }), { minReplicas: 1, maxReplicas: 3, signal: "waiting requests 4/replica", scaleDownAfterSeconds: 600 });
  });

  it("lists the signals named, and fixed replicas as fixed", () => {
    const a = parse({ minReplicas: 2, maxReplicas: 4, signals: { kvCacheUtilization: { target: 0.75 }, waitingRequests: { target: 8 } } });
    assert.strictEqual(scalingSummary({ replicas: 4, autoscaling: a }).signal, "waiting requests 8/replica, KV cache 75%/replica");
    assert.deepStrictEqual(scalingSummary({ replicas: 2 }), { minReplicas: 2, maxReplicas: 2, signal: "fixed" });
  });

  it("refuses targets out of range, naming the field", () => {
    const issues = (raw: unknown) => autoscalingSchema.safeParse(raw).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    assert.deepStrictEqual(issues({ minReplicas: 1, maxReplicas: 2, signals: { kvCacheUtilization: { target: 1.5 } } }), [
      "signals.kvCacheUtilization.target: must be at most 1 (vLLM reports KV-cache use as a fraction)",
    ]);
    assert.deepStrictEqual(issues({ minReplicas: 1, maxReplicas: 2, signals: { waitingRequests: { target: 0 } } }), ["signals.waitingRequests.target: must be above 0"]);
    assert.deepStrictEqual(issues({ minReplicas: 1, maxReplicas: 2, pollingIntervalSeconds: 1 }).length, 1);
  });
});

describe("keda chart values", () => {
  const chartValues = load(fs.readFileSync(path.join(CHARTS, "keda", "values.yaml"), "utf8")) as Record<string, unknown>;

  /** Dotted paths of every leaf the platform sets. */
  const leaves = (o: unknown, prefix = ""): string[] =>
    typeof o === "object" && o !== null && Object.keys(o).length > 0 ? Object.entries(o).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k)) : [prefix];
  // An empty map in values.yaml is open (the templates read keys under it, e.g. podDisruptionBudget.operator.minAvailable).
  const isOpen = (v: unknown) => typeof v === "object" && v !== null && Object.keys(v).length === 0;
  const inChart = (p: string): boolean => {
    let v: unknown = chartValues;
    for (const k of p.split(".")) {
      if (isOpen(v)) {
        return true;
      }
      if (typeof v !== "object" || v === null || !(k in v)) {
        return false;
      }
      v = (v as Record<string, unknown>)[k];
    }
    return true;
  };

  it("sets only keys the chart's values.yaml has", () => {
    const values = kedaValues({ replicas: 2, prometheusOperator: true });
    assert.deepStrictEqual(leaves(values).filter((p) => !inChart(p)), []);
  });

  it("prod: two replicas of each component with a disruption budget and ServiceMonitors; dev: one, none", () => {
    const prod = kedaValues({ replicas: 2, prometheusOperator: true });
    assert.deepStrictEqual([prod.operator.replicaCount, prod.metricsServer.replicaCount, prod.webhooks.replicaCount], [2, 2, 2]);
    assert.deepStrictEqual(prod.podDisruptionBudget.operator, { minAvailable: 1 });
    assert.strictEqual(prod.prometheus.operator.serviceMonitor.enabled, true);
    const dev = kedaValues({ replicas: 1, prometheusOperator: false });
    assert.deepStrictEqual(dev.podDisruptionBudget, { operator: {}, metricServer: {}, webhooks: {} });
    assert.strictEqual(dev.prometheus.operator.enabled, false);
    assert.strictEqual(dev.crds.install, true);
  });
});
