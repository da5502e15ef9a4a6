import * as assert from "assert";
import * as path from "path";
import { renderSummaryMarkdown, renderSummaryText, summarize } from "../automation/plan/render";
import { runPlan } from "../automation/plan/run";
import { monitoringLine, monitoringSummary } from "../components/monitoring";

const STACKS = path.resolve(__dirname, "..", "stacks");

describe("plan: monitoring", () => {
  it("words each way of having metrics", () => {
    assert.strictEqual(monitoringLine(monitoringSummary({ install: false, prometheusOperator: false })), "none installed; no scrape objects");
    assert.strictEqual(
      monitoringLine(monitoringSummary({ install: false, prometheusOperator: true, prometheusUrl: "http://p:9090" })),
      "an existing Prometheus at http://p:9090; scrape objects rendered",
    );
    const installed = monitoringSummary({ install: true, prometheusOperator: true });
    assert.deepStrictEqual(installed, {
      stack: "kube-prometheus-stack 88.5.3",
      namespace: "monitoring",
      prometheusUrl: "http://kube-prometheus-stack-prometheus.monitoring.svc:9090",
      scrapeObjects: true,
      dashboards: ["LLM platform / vLLM", "LLM platform / router", "LLM platform / GPUs", "LLM platform / model cache"],
      alerts: ["LlmModelRestoreFailing", "LlmModelRestoreStuck", "LlmKvCacheSaturated", "LlmGpuXidError"],
    });
  });

  it("staging's plan names the installed stack, where Prometheus is queried, its dashboards and alerts", async function () {
    this.timeout(300000);
    const run = await runPlan(STACKS, "staging");
    assert.ok(run.ok);
    const summary = summarize("staging", run.resources, run.outputs);
    assert.match(
      renderSummaryText(summary),
      /^Monitoring: kube-prometheus-stack 88\.5\.3 in namespace monitoring, Prometheus at http:\/\/kube-prometheus-stack-prometheus\.monitoring\.svc:9090; scrape objects rendered; dashboards: LLM platform \/ vLLM, .*; alerts: LlmModelRestoreFailing, /m,
    );
    assert.match(renderSummaryMarkdown(summary), /^Monitoring: kube-prometheus-stack 88\.5\.3 /m);
    assert.ok(run.resources.some((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as { name?: string }).name === "kube-prometheus-stack"));
  });
});
