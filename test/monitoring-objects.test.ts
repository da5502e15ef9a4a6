import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import * as fs from "fs";
import { load } from "js-yaml";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { ClusterAddons } from "../components/addons";
import { parsePlatformConfig, PlatformConfig } from "../components/config";
import { dashboardConfigMaps, kubePrometheusStackValues, monitoringNamespace, platformAlertRules, prometheusQueryUrl, restoreMetricsDir } from "../components/monitoring";
import { METRICS_ACCESS_LABEL } from "../components/serving/network-policies";
import { routerReleaseObjects } from "../components/serving/router-objects";
import { routerValues } from "../components/serving/router-values";
import { restoreContainer } from "../components/cache/workloads";
import { RESTORE_CONTAINER } from "../components/monitoring/metric-sources";
import { baseConfig } from "./harness/fixtures";
import { runMocked } from "./harness/pulumi";
import { kubernetesSchemas, strictStructuralSchema } from "./harness/schema";

const CHART = path.join(process.env.LLM_PLATFORM_CHARTS_DIR ?? path.resolve(__dirname, "..", "..", "shared", "charts"), "kube-prometheus-stack");
const LABELS = { "app.kubernetes.io/part-of": "llm-platform" };

type Json = { [key: string]: Json } | Json[] | string | number | boolean | null;

/** A validator for the PrometheusRule CRD as kube-prometheus-stack 88.5.3 ships it (charts/crds/crds). */
function prometheusRuleValidator(): (object: unknown) => string[] {
  const file = path.join(CHART, "charts", "crds", "crds", "crd-prometheusrules.yaml");
  const crd = parseAllDocuments(fs.readFileSync(file, "utf8"))
    .map((d) => d.toJS() as { kind?: string; spec: { versions: { name: string; schema: { openAPIV3Schema: { [k: string]: unknown } } }[] } })
    .find((d) => d?.kind === "CustomResourceDefinition");
  assert.ok(crd, `${file} holds the CRD`);
  // The CRD's patterns are Go regular expressions; `(?i)` (case-insensitive) becomes JavaScript's i flag.
  const goRegExp = Object.assign((pattern: string, flags: string) => (pattern.includes("(?i)") ? new RegExp(pattern.replace("(?i)", ""), `${flags}i`) : new RegExp(pattern, flags)), {
    code: "goRegExp",
  });
  const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: goRegExp } });
  addFormats(ajv);
  const validate = ajv.compile(strictStructuralSchema(crd.spec.versions.find((v) => v.name === "v1")?.schema.openAPIV3Schema ?? {}));
  return (object) => (validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"}: ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`));
}

async function addonsFor(config: PlatformConfig) {
  const { recorder } = await runMocked(() => new ClusterAddons("t", { config, provider: new k8s.Provider("k", {}), labels: LABELS }));
  return recorder;
}

function installed(cloud: "aws" | "existing" = "existing"): PlatformConfig {
  const raw = baseConfig();
  (raw as { monitoring?: unknown }).monitoring = { install: true };
  const config = parsePlatformConfig(raw);
  return { ...config, cloud: { provider: cloud, region: cloud === "existing" ? undefined : "us-east-1" } };
}

describe("monitoring add-on", () => {
  describe("kube-prometheus-stack values", () => {
    it("selects every ServiceMonitor, PodMonitor and PrometheusRule (the platform's carry no release label)", () => {
      const spec = kubePrometheusStackValues({ retention: "7d" }).prometheus.prometheusSpec;
      for (const kind of ["serviceMonitor", "podMonitor", "rule"] as const) {
        assert.strictEqual(spec[`${kind}SelectorNilUsesHelmValues`], false, kind);
        assert.deepStrictEqual(spec[`${kind}Selector`], {}, kind);
        assert.deepStrictEqual(spec[`${kind}NamespaceSelector`], {}, kind);
      }
    });

    it("sets only keys the chart's values.yaml has", () => {
      const chart = load(fs.readFileSync(path.join(CHART, "values.yaml"), "utf8")) as { [k: string]: Json };
      const missing: string[] = [];
      // Subchart sections (grafana, kube-state-metrics) pass through to charts not vendored here; their
      // top-level key is checked, what is under it was read in the subchart's values.yaml.
      const subcharts = new Set(["grafana", "kube-state-metrics"]);
      const walk = (ours: unknown, theirs: Json | undefined, at: string) => {
        if (theirs === undefined) {
          missing.push(at);
          return;
        }
        // A chart default of {} is an open map (nodeSelector): its keys are the user's.
        const openMap = typeof theirs === "object" && theirs !== null && Object.keys(theirs).length === 0;
        if (typeof ours === "object" && ours !== null && !Array.isArray(ours) && !openMap && !subcharts.has(at)) {
          for (const [k, v] of Object.entries(ours)) {
            walk(v, (theirs as { [k: string]: Json })[k], at === "" ? k : `${at}.${k}`);
          }
        }
      };
      walk(kubePrometheusStackValues({ retention: "7d", systemNodeSelector: { a: "b" }, restoreMetricsDirs: ["/x"] }), chart, "");
      assert.deepStrictEqual(missing, []);
    });

    it("node-exporter reads the restore metrics of every NVMe cache root and keeps the chart's own arguments", () => {
      const chart = load(fs.readFileSync(path.join(CHART, "values.yaml"), "utf8")) as { "prometheus-node-exporter": { extraArgs: string[] } };
      const dirs = [restoreMetricsDir("/mnt/k8s-disks/0"), restoreMetricsDir("/mnt/.ephemeral"), restoreMetricsDir("/mnt/k8s-disks/0")];
      const args = kubePrometheusStackValues({ retention: "7d", restoreMetricsDirs: dirs })["prometheus-node-exporter"]?.extraArgs;
      assert.deepStrictEqual(args, [
        ...chart["prometheus-node-exporter"].extraArgs,
        `--collector.textfile.directory=/host/root/mnt/k8s-disks/0/${path.basename(path.dirname(dirs[0]))}/.metrics`,
        `--collector.textfile.directory=/host/root/mnt/.ephemeral/${path.basename(path.dirname(dirs[1]))}/.metrics`,
      ]);
      assert.strictEqual(kubePrometheusStackValues({ retention: "7d" })["prometheus-node-exporter"].extraArgs, undefined, "no cache, the chart's defaults");
    });

    it("a stack restoring onto NVMe points node-exporter at its pools' cache roots", async () => {
      const raw = baseConfig();
      (raw as { monitoring?: unknown }).monitoring = { install: true };
      const config = parsePlatformConfig(raw);
      const recorder = await addonsFor({ ...config, modelCache: { ...config.modelCache, mode: "nvme" } });
      const stack = recorder.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "kube-prometheus-stack");
      const args = (stack?.inputs.values as { "prometheus-node-exporter"?: { extraArgs: string[] } })["prometheus-node-exporter"]?.extraArgs ?? [];
      const expected = config.gpuPools.filter((p) => p.nvme === "raid0").map((p) => `--collector.textfile.directory=/host/root${restoreMetricsDir(p.nvmeMountPath)}`);
      assert.ok(expected.length > 0, "the fixture has an NVMe pool");
      assert.deepStrictEqual(args.slice(2), [...new Set(expected)]);
    });

    it("places the stack on the system nodes of a managed cluster, nowhere in particular on an existing one", () => {
      const sel = { "llm-platform.io/system": "true" };
      const managed = kubePrometheusStackValues({ retention: "7d", systemNodeSelector: sel });
      assert.deepStrictEqual(
        [managed.prometheusOperator.nodeSelector, managed.prometheusOperator.admissionWebhooks.patch.nodeSelector, managed.prometheus.prometheusSpec.nodeSelector, managed.alertmanager.alertmanagerSpec.nodeSelector, managed["kube-state-metrics"].nodeSelector, managed.grafana.nodeSelector],
        [sel, sel, sel, sel, sel, sel],
      );
      const existing = kubePrometheusStackValues({ retention: "7d" });
      assert.strictEqual(existing.prometheus.prometheusSpec.nodeSelector, undefined);
      assert.strictEqual(existing.grafana.nodeSelector, undefined);
    });

    it("names the Prometheus Service prometheusQueryUrl() points at", () => {
      assert.strictEqual(kubePrometheusStackValues({ retention: "7d" }).fullnameOverride, "kube-prometheus-stack");
      assert.strictEqual(prometheusQueryUrl({ install: true }), "http://kube-prometheus-stack-prometheus.monitoring.svc:9090");
    });
  });

  describe("dashboards and alert rules as objects", () => {
    it("one ConfigMap per dashboard, labelled for Grafana's sidecar, valid as a core ConfigMap", async () => {
      const maps = dashboardConfigMaps("monitoring", LABELS);
      assert.deepStrictEqual(
        maps.map((m) => m.metadata.name),
        ["llm-platform-vllm", "llm-platform-router", "llm-platform-gpus", "llm-platform-model-cache"],
      );
      for (const m of maps) {
        assert.deepStrictEqual(await kubernetesSchemas().validate(m), [], m.metadata.name);
        assert.strictEqual(m.metadata.labels?.grafana_dashboard, "1");
        const [file, json] = Object.entries(m.data ?? {})[0];
        const dashboard = JSON.parse(json) as { uid: string; panels: { datasource?: { uid: string } }[] };
        assert.strictEqual(`${dashboard.uid}.json`, file);
        assert.ok(dashboard.panels.length > 0);
      }
    });

    it("the PrometheusRule validates against the chart's CRD and holds the four alerts", () => {
      const rule = platformAlertRules("monitoring", LABELS);
      assert.deepStrictEqual(prometheusRuleValidator()(rule), []);
      assert.deepStrictEqual(
        rule.spec.groups[0].rules.map((r) => r.alert),
        ["LlmModelRestoreFailing", "LlmModelRestoreStuck", "LlmKvCacheSaturated", "LlmGpuXidError"],
      );
    });

    it("the CRD check refuses a rule field the CRD does not have", () => {
      const rule = platformAlertRules("monitoring", LABELS);
      const broken = { ...rule, spec: { groups: [{ name: "x", rules: [{ ...rule.spec.groups[0].rules[0], severity: "critical" }] }] } };
      assert.ok(prometheusRuleValidator()(broken).some((p) => p.includes("severity")), "unknown field reported");
    });

    it("the restore alerts watch the init container the cache really adds", () => {
      const model = parsePlatformConfig(baseConfig()).models[0];
      const settings = { store: { provider: "s3", bucket: "b", region: "us-east-1" }, verifyChecksums: false, transfers: 1, scriptsConfigMap: "s" } as unknown as Parameters<typeof restoreContainer>[1];
      assert.strictEqual(restoreContainer(model, settings).name, RESTORE_CONTAINER);
    });
  });

  describe("router metrics on GKE", () => {
    const kinds = (values: ReturnType<typeof routerValues>) =>
      routerReleaseObjects({ name: "m-router", namespace: "llm-models", values })
        .map((o) => o.kind)
        .filter((k) => k === "ServiceMonitor" || k === "PodMonitoring");
    const model = () => parsePlatformConfig(baseConfig()).models[0];

    it("with the platform's Prometheus the picker gets a ServiceMonitor, not Managed Prometheus' PodMonitoring", () => {
      const values = routerValues(model(), { prometheusOperator: true, gke: true, platformPrometheus: true });
      assert.strictEqual(values.router?.monitoring?.provider?.name, "prometheusoperator");
      assert.deepStrictEqual(kinds(values), ["ServiceMonitor"]);
    });

    it("otherwise GKE keeps Managed Prometheus and other clusters the operator", () => {
      assert.deepStrictEqual(kinds(routerValues(model(), { prometheusOperator: true, gke: true })), ["PodMonitoring"]);
      assert.deepStrictEqual(kinds(routerValues(model(), { prometheusOperator: true, gke: false })), ["ServiceMonitor"]);
      assert.strictEqual(routerValues(model(), { prometheusOperator: true, gke: false, platformPrometheus: false }).router?.monitoring?.provider, undefined);
    });
  });

  describe("wired into the cluster add-ons", () => {
    it("install: the release, then the dashboards, the rules and every release that renders monitors wait for it", async () => {
      const recorder = await addonsFor(installed("aws"));
      const releases = new Map(recorder.ofType("kubernetes:helm.sh/v3:Release").map((r) => [r.inputs.name as string, r]));
      const stack = releases.get("kube-prometheus-stack");
      assert.ok(stack, "kube-prometheus-stack release");
      assert.strictEqual(stack.inputs.version, "88.5.3");
      assert.strictEqual(stack.inputs.namespace, "monitoring");
      assert.deepStrictEqual((stack.inputs.values as { prometheus: { prometheusSpec: { nodeSelector: unknown } } }).prometheus.prometheusSpec.nodeSelector, { "llm-platform.io/system": "true" });
      const maps = recorder.ofType("kubernetes:core/v1:ConfigMap").filter((r) => (r.inputs.metadata as { labels?: { grafana_dashboard?: string } }).labels?.grafana_dashboard === "1");
      assert.strictEqual(maps.length, 4);
      const rules = recorder.ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
      assert.strictEqual(rules.length, 1);
      for (const r of [...maps, ...rules, ...["cert-manager", "gpu-operator"].map((n) => releases.get(n))]) {
        assert.ok(r?.dependencies.includes(stack.urn), `${r?.name} waits for the monitoring stack`);
      }
    });

    it("creates the stack's namespace itself: admitted by the models namespace's metrics NetworkPolicy, privileged for node-exporter", async () => {
      const recorder = await addonsFor(installed("aws"));
      const ns = recorder.ofType("kubernetes:core/v1:Namespace").find((r) => (r.inputs.metadata as { name?: string }).name === "monitoring");
      assert.ok(ns, "monitoring Namespace");
      const nsLabels = (ns.inputs.metadata as { labels: Record<string, string> }).labels;
      assert.strictEqual(nsLabels[METRICS_ACCESS_LABEL], "true");
      assert.strictEqual(nsLabels["pod-security.kubernetes.io/enforce"], "privileged");
      assert.deepStrictEqual(await kubernetesSchemas().validate(monitoringNamespace(LABELS)), []);
      const stack = recorder.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "kube-prometheus-stack");
      assert.strictEqual(stack?.inputs.createNamespace, false);
      assert.ok(stack?.dependencies.includes(ns.urn), "the release waits for its namespace");
    });

    it("without install: no monitoring release, dashboards or rules", async () => {
      const raw = baseConfig();
      (raw as { monitoring?: unknown }).monitoring = { prometheusOperator: true };
      const recorder = await addonsFor(parsePlatformConfig(raw));
      assert.strictEqual(recorder.ofType("kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.name === "kube-prometheus-stack").length, 0);
      assert.strictEqual(recorder.ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule").length, 0);
    });
  });
});
