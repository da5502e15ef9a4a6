import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { kubernetesObjects, KubernetesObject } from "../../automation/plan/render";
import { runPlan } from "../../automation/plan/run";
import { chartCrdTexts, gkeCrdTexts } from "../harness/schema";
import { manifestStream, TestApiServer } from "./harness/api-server";

const REPO = path.resolve(__dirname, "..", "..");
const STACKS = path.join(REPO, "stacks");
const CRDS = process.env.LLM_PLATFORM_CRDS_DIR ?? path.resolve(REPO, "..", "shared", "crds");
const CHARTS = process.env.LLM_PLATFORM_CHARTS_DIR ?? path.resolve(REPO, "..", "shared", "charts");
/** The Prometheus operator's PrometheusRule CRD as the kube-prometheus-stack chart ships it. */
const PROMETHEUS_RULE_CRD = path.join(CHARTS, "kube-prometheus-stack", "charts", "crds", "crds", "crd-prometheusrules.yaml");

/** Kinds the plan renders whose CRDs are not among the upstream CRDs the tests load. */
const NO_CRD_HERE = new Set(["cert-manager.io/v1 Certificate", "monitoring.coreos.com/v1 ServiceMonitor", "monitoring.coreos.com/v1 PodMonitor"]);

const kindOf = (o: KubernetesObject) => `${o.apiVersion} ${o.kind}`;

/**
 * A fresh API server with the upstream CRDs loaded and established: ../shared/crds, the CRDs the
 * charts ship as templates (Karpenter, KEDA, Envoy Gateway, Envoy AI Gateway), the PrometheusRule
 * CRD and the kinds GKE serves itself; stopped again if that fails.
 */
async function apiServerWithCrds(): Promise<TestApiServer> {
  const api = await TestApiServer.start();
  try {
    const crds = [...fs.readdirSync(CRDS).filter((f) => f.endsWith(".yaml")).map((f) => path.join(CRDS, f)), PROMETHEUS_RULE_CRD];
    const applied = await api.kubectl(["apply", "--server-side", "--field-manager=llm-platform-e2e", ...crds.flatMap((f) => ["-f", f])]);
    assert.strictEqual(applied.code, 0, applied.stderr);
    const templated = await api.kubectl(["apply", "--server-side", "--field-manager=llm-platform-e2e", "-f", "-"], [...chartCrdTexts(), ...gkeCrdTexts()].join("\n---\n"));
    assert.strictEqual(templated.code, 0, templated.stderr);
    await api.waitForCrds();
    return api;
  } catch (err) {
    await api.stop();
    throw err;
  }
}

describe("rendered manifests on a real API server", function () {
  this.timeout(300_000);
  let api: TestApiServer | undefined;
  const stacks = fs.readdirSync(STACKS).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
  // Stacks share object names (namespaces, seeders), so each gets a cluster of its own.
  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });

  it("covers every sample stack", () => {
    assert.deepStrictEqual([...stacks].sort(), ["dev", "gke-prod", "local", "prod", "staging"]);
  });

  for (const stack of ["local", "dev", "staging", "prod", "gke-prod"]) {
    it(`${stack}: every object is accepted by server-side apply, dry-run and for real`, async function () {
      api = await apiServerWithCrds();
      const run = await runPlan(STACKS, stack);
      assert.ok(run.ok, run.ok ? "" : JSON.stringify(run.issues));
      const objects = kubernetesObjects(run.resources);
      const skipped = [...new Set(objects.filter((o) => NO_CRD_HERE.has(kindOf(o))).map(kindOf))];
      const testable = objects.filter((o) => !NO_CRD_HERE.has(kindOf(o)));
      assert.ok(testable.length >= 5, `${stack} renders objects`);
      // Namespaces the charts would create come first, as the charts run before these objects.
      const declared = new Set(testable.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name));
      const needed = [...new Set(testable.flatMap((o) => (o.metadata.namespace && !declared.has(o.metadata.namespace) ? [o.metadata.namespace] : [])))];
      const namespaces = [...needed.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } })), ...testable.filter((o) => o.kind === "Namespace")];
      const rest = testable.filter((o) => o.kind !== "Namespace");
      const base = ["apply", "--server-side", "--force-conflicts", `--field-manager=llm-platform-${stack}`, "-f", "-"];
      const ns = await api.kubectl(base, manifestStream(namespaces));
      assert.strictEqual(ns.code, 0, ns.stderr);
      const dryRun = await api.kubectl([...base, "--dry-run=server"], manifestStream(rest));
      assert.strictEqual(dryRun.code, 0, `${stack} dry run:\n${dryRun.stderr}`);
      const real = await api.kubectl(base, manifestStream(rest));
      assert.strictEqual(real.code, 0, `${stack}:\n${real.stderr}`);
      assert.strictEqual(real.stdout.trim().split("\n").length, rest.length, real.stdout);
      // The API server defaulted and stored them: read one custom object back.
      const llmisvc = rest.find((o) => o.kind === "LLMInferenceService");
      if (llmisvc !== undefined) {
        const got = await api.kubectl(["get", "llminferenceservices.serving.kserve.io", llmisvc.metadata.name ?? "", "-n", llmisvc.metadata.namespace ?? "", "-o", "json"]);
        assert.strictEqual(got.code, 0, got.stderr);
        assert.strictEqual(JSON.parse(got.stdout).apiVersion, "serving.kserve.io/v1alpha2");
      }
      if (skipped.length > 0) {
        console.log(`      (${stack}: not applied, no CRD among the upstream CRDs here: ${skipped.join(", ")})`);
      }
    });
  }

  it("rejects deliberately broken manifests: a wrong type and a CRD validation rule", async () => {
    api = await apiServerWithCrds();
    const wrongType = {
      apiVersion: "serving.kserve.io/v1alpha2",
      kind: "LLMInferenceService",
      metadata: { name: "broken", namespace: "default" },
      spec: { model: { uri: "hf://Qwen/Qwen3-8B" }, replicas: "two" },
    };
    const first = await api.kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], manifestStream([wrongType]));
    assert.notStrictEqual(first.code, 0);
    assert.match(first.stderr, /\.spec\.replicas: expected numeric/);
    // Gateway API: a listener's hostname must be a DNS name (CRD validation pattern).
    const badGateway = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "broken", namespace: "default" },
      spec: { gatewayClassName: "x", listeners: [{ name: "https", port: 443, protocol: "HTTPS", hostname: "Not A Hostname!" }] },
    };
    const second = await api.kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], manifestStream([badGateway]));
    assert.notStrictEqual(second.code, 0);
    assert.match(second.stderr, /hostname/);
  });

  it("sends strings that YAML 1.1 reads as booleans or numbers as strings (the GPU Operator's ccManager.defaultMode: \"off\")", async () => {
    api = await TestApiServer.start();
    const data = { defaultMode: "off", enabled: "on", answer: "yes", mode: "0755", short: "n" };
    const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "yaml-1-1", namespace: "default" }, data };
    const applied = await api.kubectl(["apply", "--server-side", "-f", "-"], manifestStream([configMap]));
    assert.strictEqual(applied.code, 0, applied.stderr);
    const got = await api.kubectl(["get", "configmap", "yaml-1-1", "-n", "default", "-o", "json"]);
    assert.strictEqual(got.code, 0, got.stderr);
    assert.deepStrictEqual(JSON.parse(got.stdout).data, data);
  });
});
