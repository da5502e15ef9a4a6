import { parser } from "@prometheus-io/lezer-promql";
import * as assert from "assert";
import { PLATFORM_ALERTS, platformDashboards } from "../components/monitoring";
import { exposedSeries, METRIC_SOURCES } from "../components/monitoring/metric-sources";

// Every query of every dashboard (as the SDK renders it) and every alert rule names only metrics
// the pinned exporters expose (components/monitoring/metric-sources.ts lists them with their
// upstream files). Queries are parsed with Prometheus' own PromQL grammar (lezer-promql).

/** Grafana's interval variables, replaced as Grafana does before the query reaches Prometheus. */
const interpolate = (expr: string) => expr.replace(/\$__rate_interval|\$__interval/g, "5m");

/** The metric names a query selects; throws on a query PromQL does not parse. */
export function metricNames(expr: string): string[] {
  const query = interpolate(expr);
  const names: string[] = [];
  const errors: number[] = [];
  parser.parse(query).iterate({
    enter: (node) => {
      if (node.type.isError) {
        errors.push(node.from);
      }
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") {
        names.push(query.slice(node.from, node.to));
      }
      if (node.name === "LabelName" && query.slice(node.from, node.to) === "__name__") {
        throw new Error(`${expr}: selects a metric through __name__, which this check cannot follow`);
      }
    },
  });
  if (errors.length > 0) {
    throw new Error(`${expr}: not valid PromQL at offset ${errors[0]}`);
  }
  return names;
}

interface NamedQuery {
  readonly where: string;
  readonly expr: string;
}

function dashboardQueries(): NamedQuery[] {
  return [...platformDashboards()].flatMap(([file, dashboard]) =>
    (dashboard.panels ?? []).flatMap((panel) => {
      const targets = "targets" in panel ? (panel.targets ?? []) : [];
      return targets.map((t) => ({ where: `${file} "${"title" in panel ? panel.title : ""}"`, expr: String((t as { expr?: unknown }).expr) }));
    }),
  );
}

const ruleQueries = (): NamedQuery[] => PLATFORM_ALERTS.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }));

/** Problems of the queries: unparseable ones and metrics no pinned exporter exposes. */
function unknownMetrics(queries: readonly NamedQuery[], exposed: ReadonlyMap<string, string>): string[] {
  return queries.flatMap((q) => {
    try {
      return metricNames(q.expr)
        .filter((m) => !exposed.has(m))
        .map((m) => `${q.where}: ${m} is not exposed by any pinned source`);
    } catch (err) {
      return [`${q.where}: ${(err as Error).message}`];
    }
  });
}

describe("dashboard and alert queries name only metrics the pinned exporters expose", () => {
  it("renders the four dashboards and the alert rules with queries to check", () => {
    assert.deepStrictEqual([...platformDashboards().keys()], ["llm-platform-vllm.json", "llm-platform-router.json", "llm-platform-gpus.json", "llm-platform-model-cache.json"]);
    assert.ok(dashboardQueries().length >= 20, `${dashboardQueries().length} dashboard queries`);
    assert.strictEqual(ruleQueries().length, 4);
  });

  it("every query parses and every metric it names is listed with its upstream source", () => {
    assert.deepStrictEqual(unknownMetrics([...dashboardQueries(), ...ruleQueries()], exposedSeries()), []);
  });

  it("every listed metric is used by a query (the list holds no stale entries)", () => {
    const used = new Set([...dashboardQueries(), ...ruleQueries()].flatMap((q) => metricNames(q.expr)).map((m) => m.replace(/_(bucket|sum|count)$/, "")));
    const listed = METRIC_SOURCES.flatMap((s) => Object.keys(s.metrics));
    assert.deepStrictEqual(listed.filter((m) => !used.has(m)), []);
  });

  it("reports a misspelt metric, naming the query", () => {
    const misspelt = [{ where: "vllm.json \"KV-cache use\"", expr: "max by (pod) (vllm:kv_cache_usage_percent)" }];
    assert.deepStrictEqual(unknownMetrics(misspelt, exposedSeries()), ['vllm.json "KV-cache use": vllm:kv_cache_usage_percent is not exposed by any pinned source']);
  });

  it("reports a histogram's base name, which Prometheus never stores, and accepts its _bucket series", () => {
    const q = [
      { where: "a", expr: "histogram_quantile(0.9, rate(vllm:time_to_first_token_seconds[5m]))" },
      { where: "b", expr: "histogram_quantile(0.9, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket[$__rate_interval])))" },
    ];
    assert.deepStrictEqual(unknownMetrics(q, exposedSeries()), ["a: vllm:time_to_first_token_seconds is not exposed by any pinned source"]);
  });

  it("reports a query that is not PromQL", () => {
    assert.deepStrictEqual(unknownMetrics([{ where: "x", expr: "sum by (pod (vllm:num_requests_waiting)" }], exposedSeries()), [
      "x: sum by (pod (vllm:num_requests_waiting): not valid PromQL at offset 12",
    ]);
  });

  it("finds metrics inside binary operations, functions and on() matching, not label names or functions", () => {
    assert.deepStrictEqual(metricNames('max by (pod) (a{x="rate"}) > 0.9 and on (pod) rate(b_total[$__rate_interval]) * on (pod) group_left c'), ["a", "b_total", "c"]);
  });
});
