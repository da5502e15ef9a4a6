import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { kubernetesObjects } from "../../automation/plan/render";
import { runPlan } from "../../automation/plan/run";
import { PrometheusStandIn, samplesOf, startKedaOperator } from "./harness/keda";
import { waitFor } from "./harness/local-process";
import type { NodeTaint } from "./harness/nodes";
import { SimulatedCluster } from "./harness/simulated-cluster";

// The prod stack's autoscaled models under the KEDA operator v2.20.2: every ScaledObject the
// plan renders is accepted on the tier's API server (with KServe reconciling the models, so the
// Deployments they target exist), becomes Ready, gets its HPA on the right workload, and its
// scalers send exactly the rendered queries to a Prometheus stand-in whose answers reach KEDA's
// scaler metric and the ScaledObject's Active condition.

const REPO = path.resolve(__dirname, "..", "..");
const SAMPLES = path.join(REPO, "stacks");
const SETTLE_MS = 240_000;

type Json = Record<string, unknown>;
const get = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Json)[k] : undefined), o);

/** Running, and not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function getJson(cluster: SimulatedCluster, args: string[]): Promise<Json | undefined> {
  const out = await cluster.api.kubectl(["get", ...args, "-o", "json"]);
  return out.code === 0 ? (JSON.parse(out.stdout) as Json) : undefined;
}

/** A Kubernetes quantity as the HPA stores a threshold ("4", "800m") as a number. */
function quantity(q: unknown): number {
  const s = String(q);
  return s.endsWith("m") ? Number(s.slice(0, -1)) / 1000 : Number(s);
}

const condition = (o: unknown, type: string) => ((get(o, "status", "conditions") ?? []) as Json[]).find((c) => c.type === type);

/** Value the stand-in answers for a query: distinct per signal so each is recognisable downstream. */
function answer(query: string): number | undefined {
  if (query.startsWith("sum(vllm:num_requests_waiting{")) {
    return 12;
  }
  if (query.startsWith("sum(vllm:kv_cache_usage_perc{")) {
    return 1.5;
  }
  return undefined;
}

describe("KEDA operator v2.20.2 on the prod stack's ScaledObjects", function () {
  this.timeout(SETTLE_MS + 300_000);
  let cluster: SimulatedCluster | undefined;
  let prometheus: PrometheusStandIn | undefined;

  afterEach(async () => {
    const pids = cluster?.pids ?? [];
    await cluster?.stop();
    await prometheus?.stop();
    cluster = undefined;
    prometheus = undefined;
    assert.deepStrictEqual(pids.filter(running), [], "processes of the stack still running after stop()");
  });

  it("accepts every ScaledObject: Ready, an HPA on the model's Deployment, the rendered queries sent and their values read", async () => {
    const run = await runPlan(SAMPLES, "prod");
    assert.ok(run.ok, run.ok ? "" : JSON.stringify(run.issues));
    const planned = kubernetesObjects(run.resources).filter((o) => o.kind === "ScaledObject");
    const models = kubernetesObjects(run.resources).filter((o) => o.kind === "LLMInferenceService");
    assert.deepStrictEqual(
      planned.map((o) => o.metadata.name).sort(),
      models.map((m) => `${m.metadata.name ?? ""}-scaler`).sort(),
      "prod autoscales every model",
    );
    const outputs = run.outputs as unknown as { gpuPools: { name: string; taints: NodeTaint[] }[] };
    cluster = await SimulatedCluster.start({ name: "prod", resources: run.resources, gpuPools: outputs.gpuPools });
    const c = cluster;
    assert.deepStrictEqual(
      c.applied.filter((o) => o.kind === "ScaledObject").map((o) => o.metadata.name).sort(),
      planned.map((o) => o.metadata.name).sort(),
      "the API server took every ScaledObject (KEDA's CRDs from its chart)",
    );

    // The rendered scalers query the stack's Prometheus, which the tier cannot reach: point them
    // at the stand-in, keeping everything else (the queries above all) as rendered.
    prometheus = await PrometheusStandIn.start(answer);
    for (const so of planned) {
      const triggers = get(so, "spec", "triggers") as Json[];
      const patch = triggers.map((t, i) => {
        assert.strictEqual(get(t, "metadata", "serverAddress"), "http://prometheus-operated.monitoring.svc:9090", `${so.metadata.name} trigger ${i}`);
        return { op: "replace", path: `/spec/triggers/${i}/metadata/serverAddress`, value: prometheus?.url };
      });
      const out = await c.api.kubectl(["patch", "scaledobject", "-n", so.metadata.namespace ?? "", so.metadata.name ?? "", "--type=json", "-p", JSON.stringify(patch)]);
      assert.strictEqual(out.code, 0, out.stderr);
    }

    const keda = await startKedaOperator(c.api);
    c.processes.push(keda.process);

    for (const so of planned) {
      const ns = so.metadata.namespace ?? "";
      const name = so.metadata.name ?? "";
      const target = get(so, "spec", "scaleTargetRef") as Json;
      const ready = await waitFor(
        `ScaledObject ${ns}/${name} Ready and Active`,
        SETTLE_MS,
        async () => {
          const live = await getJson(c, ["scaledobject", "-n", ns, name]);
          return condition(live, "Ready")?.status === "True" && condition(live, "Active")?.status === "True" ? live : undefined;
        },
        c.processes,
        2_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nKEDA log:\n${keda.process.tail(30)}`);
      });
      assert.deepStrictEqual(get(ready, "status", "scaleTargetKind"), `${String(target.apiVersion)}.${String(target.kind)}`);

      // The Deployment exists, is KServe's for this model, and the HPA KEDA made scales it.
      const deployment = await getJson(c, ["deployment", "-n", ns, String(target.name)]);
      assert.ok(deployment, `${name}: its target Deployment ${String(target.name)} exists`);
      const owner = ((get(deployment, "metadata", "ownerReferences") ?? []) as Json[]).find((r) => r.kind === "LLMInferenceService");
      assert.strictEqual(owner?.name, name.replace(/-scaler$/, ""), `${name}: the Deployment is the model's`);
      const hpaName = String(get(so, "spec", "advanced", "horizontalPodAutoscalerConfig", "name"));
      const hpa = await getJson(c, ["hpa", "-n", ns, hpaName]);
      assert.ok(hpa, `${name}: KEDA created HPA ${hpaName}`);
      assert.deepStrictEqual(get(hpa, "spec", "scaleTargetRef"), { apiVersion: target.apiVersion, kind: target.kind, name: target.name });
      assert.deepStrictEqual([get(hpa, "spec", "minReplicas"), get(hpa, "spec", "maxReplicas")], [get(so, "spec", "minReplicaCount"), get(so, "spec", "maxReplicaCount")]);
      const metrics = (get(hpa, "spec", "metrics") ?? []) as Json[];
      const triggers = get(so, "spec", "triggers") as Json[];
      assert.deepStrictEqual(
        metrics.map((m) => [m.type, get(m, "external", "target", "type"), quantity(get(m, "external", "target", "averageValue"))]),
        triggers.map((t) => ["External", "AverageValue", Number(get(t, "metadata", "threshold"))]),
        `${name}: one external AverageValue metric per trigger, at its threshold`,
      );
      assert.deepStrictEqual(get(hpa, "spec", "behavior", "scaleDown", "stabilizationWindowSeconds"), 600);

      // What KEDA sent is exactly what was rendered, and what the stand-in answered is what KEDA read.
      const sent = new Set(prometheus.queries.map((q) => q.query));
      for (const t of triggers) {
        assert.ok(sent.has(String(get(t, "metadata", "query"))), `${name}: KEDA sent ${String(get(t, "metadata", "query"))}; it sent ${[...sent].join(" | ")}`);
      }
      const read = await waitFor(
        `${name}: scaler values in KEDA's metrics`,
        60_000,
        async () => {
          const text = await fetch(keda.metricsUrl).then((r) => r.text());
          const values = samplesOf(text, "keda_scaler_metrics_value").filter((s) => s.labels.scaledObject === name && s.labels.namespace === ns);
          return values.length === triggers.length ? values : undefined;
        },
        c.processes,
        2_000,
      );
      assert.deepStrictEqual(
        read.sort((a, b) => Number(a.labels.triggerIndex) - Number(b.labels.triggerIndex)).map((s) => s.value),
        triggers.map((t) => answer(String(get(t, "metadata", "query")))),
        `${name}: KEDA read the stand-in's answers`,
      );
    }
    assert.ok(
      prometheus.queries.every((q) => q.path === "/api/v1/query"),
      "every scaler query went to Prometheus's instant-query API",
    );
  });
});
