import * as assert from "assert";
import { parsePlatformConfig, reservedNamespaces, validatePlatformConfig } from "../components/config";
import { prometheusQueryUrl } from "../components/monitoring";
import { baseConfig } from "./harness/fixtures";

function withMonitoring(monitoring: Record<string, unknown>): ReturnType<typeof baseConfig> {
  const config = baseConfig();
  (config as { monitoring?: unknown }).monitoring = monitoring;
  return config;
}

function issuesOf(monitoring: Record<string, unknown>): string[] {
  const result = validatePlatformConfig(withMonitoring(monitoring));
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("monitoring config", () => {
  it("defaults to nothing installed, no operator objects and no Prometheus to query", () => {
    const monitoring = parsePlatformConfig(baseConfig()).monitoring;
    assert.deepStrictEqual(monitoring, { prometheusOperator: false, install: false });
    assert.strictEqual(prometheusQueryUrl(monitoring), undefined);
  });

  it("install implies the Prometheus operator and queries the installed stack's Prometheus Service", () => {
    const monitoring = parsePlatformConfig(withMonitoring({ install: true })).monitoring;
    assert.deepStrictEqual(monitoring, { prometheusOperator: true, install: true });
    assert.strictEqual(prometheusQueryUrl(monitoring), "http://kube-prometheus-stack-prometheus.monitoring.svc:9090");
  });

  it("an existing Prometheus is queried at its URL, with or without the operator's scrape objects", () => {
    const url = "http://prometheus-operated.observability.svc:9090";
    const monitoring = parsePlatformConfig(withMonitoring({ prometheusUrl: url, prometheusOperator: true })).monitoring;
    assert.deepStrictEqual(monitoring, { prometheusOperator: true, install: false, prometheusUrl: url });
    assert.strictEqual(prometheusQueryUrl(monitoring), url);
    assert.strictEqual(prometheusQueryUrl(parsePlatformConfig(withMonitoring({ prometheusUrl: url })).monitoring), url);
  });

  it("keeps prometheusOperator alone working as before (scrape objects for someone else's operator)", () => {
    assert.deepStrictEqual(parsePlatformConfig(withMonitoring({ prometheusOperator: true })).monitoring, { prometheusOperator: true, install: false });
  });

  it("refuses install together with prometheusUrl, naming the field and why", () => {
    const issues = issuesOf({ install: true, prometheusUrl: "http://prom.example:9090" });
    assert.deepStrictEqual(issues.length, 1);
    assert.match(issues[0], /^monitoring\.prometheusUrl: and install are mutually exclusive: with install the platform queries the Prometheus it deploys/);
  });

  it("refuses install with prometheusOperator: false", () => {
    const issues = issuesOf({ install: true, prometheusOperator: false });
    assert.deepStrictEqual(issues.length, 1);
    assert.match(issues[0], /^monitoring\.prometheusOperator: false contradicts install: kube-prometheus-stack runs the Prometheus operator/);
  });

  it("refuses a prometheusUrl that is not an http(s) URL", () => {
    assert.ok(issuesOf({ prometheusUrl: "prometheus:9090" }).some((i) => i.startsWith("monitoring.prometheusUrl:")), "bare host:port");
    assert.ok(issuesOf({ prometheusUrl: "ftp://prom.example" }).some((i) => i.startsWith("monitoring.prometheusUrl:")), "ftp scheme");
  });

  it("refuses an unknown key in the section", () => {
    assert.ok(issuesOf({ instal: true }).some((i) => i.startsWith("monitoring")));
  });

  it("reserves the monitoring stack's namespace so the models namespace cannot take it", () => {
    assert.strictEqual(reservedNamespaces().get("monitoring"), "the kubePrometheusStack add-on");
  });
});
