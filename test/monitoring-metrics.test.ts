import { parser } from "@prometheus-io/lezer-promql";
import * as assert from "assert";
import { PLATFORM_ALERTS, platformDashboards } from "../components/monitoring";
import { ExposedSeries, exposedSeries, METRIC_SOURCES } from "../components/monitoring/metric-sources";

// Every query of every dashboard (as the SDK renders it) and every alert rule names only metrics
// the pinned exporters expose (components/monitoring/metric-sources.ts lists them with their
// upstream files). Queries are parsed with Prometheus' own PromQL grammar (lezer-promql).

/** Grafana's interval variables, replaced as Grafana does before the query reaches Prometheus. */
const interpolate = (expr: string) => expr.replace(/\$__rate_interval|\$__interval/g, "5m");

interface Selector {
  readonly metric: string;
  readonly from: number;
  readonly to: number;
  /** Label names its matchers test. */
  readonly matchers: readonly string[];
}

interface Grouping {
  readonly label: string;
  /** The aggregation or binary operation whose operands must carry the label. */
  readonly from: number;
  readonly to: number;
}

/** The selectors and grouping labels of a query; throws on a query PromQL does not parse. */
function analyse(expr: string): { selectors: Selector[]; groupings: Grouping[] } {
  const query = interpolate(expr);
  const selectors: Selector[] = [];
  const groupings: Grouping[] = [];
  const errors: number[] = [];
  parser.parse(query).iterate({
    enter: (ref) => {
      const text = query.slice(ref.from, ref.to);
      if (ref.type.isError) {
        errors.push(ref.from);
      } else if (ref.name === "VectorSelector") {
        const node = ref.node;
        const id = node.getChild("Identifier");
        const matchers = node.getChild("LabelMatchers");
        const names = (matchers?.getChildren("UnquotedLabelMatcher") ?? []).map((m) => {
          const name = m.getChild("LabelName");
          return name === null ? "" : query.slice(name.from, name.to);
        });
        if (names.includes("__name__") || (matchers?.getChildren("QuotedLabelMatcher").length ?? 0) > 0) {
          throw new Error(`${expr}: selects a metric through __name__ or a quoted name, which this check cannot follow`);
        }
        selectors.push({ metric: id === null ? "" : query.slice(id.from, id.to), from: ref.from, to: ref.to, matchers: names });
      } else if (ref.name === "LabelName" && ref.node.parent?.name === "GroupingLabels") {
        let owner: typeof ref.node.parent = ref.node.parent;
        while (owner !== null && owner.name !== "AggregateExpr" && owner.name !== "BinaryExpr") {
          owner = owner.parent;
        }
        if (owner !== null) {
          groupings.push({ label: text, from: owner.from, to: owner.to });
        }
      }
    },
  });
  if (errors.length > 0) {
    throw new Error(`${expr}: not valid PromQL at offset ${errors[0]}`);
  }
  return { selectors, groupings };
}

/** The metric names a query selects; throws on a query PromQL does not parse. */
export function metricNames(expr: string): string[] {
  return analyse(expr).selectors.map((s) => s.metric);
}

/** What is wrong with a query: metrics no pinned source exposes, labels its series do not carry. */
function queryProblems(expr: string, exposed: ReadonlyMap<string, ExposedSeries>): string[] {
  const { selectors, groupings } = analyse(expr);
  const problems: string[] = [];
  for (const s of selectors) {
    const series = exposed.get(s.metric);
    if (series === undefined) {
      problems.push(`${s.metric} is not exposed by any pinned source`);
      continue;
    }
    problems.push(...s.matchers.filter((l) => !series.labels.has(l)).map((l) => `${s.metric} has no label ${l}`));
  }
  for (const g of groupings) {
    const inside = selectors.filter((s) => s.from >= g.from && s.to <= g.to && exposed.has(s.metric));
    if (inside.length > 0 && !inside.some((s) => exposed.get(s.metric)?.labels.has(g.label))) {
      problems.push(`groups by ${g.label}, which none of ${[...new Set(inside.map((s) => s.metric))].join(", ")} carries`);
    }
  }
  return problems;
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

/** Problems of the queries, each naming where the query is. */
function unknownMetrics(queries: readonly NamedQuery[], exposed: ReadonlyMap<string, ExposedSeries>): string[] {
  return queries.flatMap((q) => {
    try {
      return queryProblems(q.expr, exposed).map((p) => `${q.where}: ${p}`);
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

  it("every query parses, every metric it names is listed with its upstream source, and every label it uses is one the series carry", () => {
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

  it("reports a label the metric does not carry, in a matcher or a grouping", () => {
    const q = [
      { where: "a", expr: 'max by (pod) (vllm:kv_cache_usage_perc{model="m"})' },
      { where: "b", expr: "sum by (gpu_id) (DCGM_FI_DEV_GPU_UTIL)" },
      { where: "c", expr: "max by (pod) (vllm:kv_cache_usage_perc) > 0.9 and on (Hostname) max by (Hostname) (DCGM_FI_DEV_XID_ERRORS)" },
      { where: "d", expr: "histogram_quantile(0.9, sum by (le, model_name) (rate(vllm:time_to_first_token_seconds_bucket[5m])))" },
      { where: "e", expr: "sum by (le) (vllm:num_requests_waiting)" },
    ];
    assert.deepStrictEqual(unknownMetrics(q, exposedSeries()), [
      "a: vllm:kv_cache_usage_perc has no label model",
      "b: groups by gpu_id, which none of DCGM_FI_DEV_GPU_UTIL carries",
      "e: groups by le, which none of vllm:num_requests_waiting carries",
    ]);
  });

  it("finds metrics inside binary operations, functions and on() matching, not label names or functions", () => {
    assert.deepStrictEqual(metricNames('max by (pod) (a{x="rate"}) > 0.9 and on (pod) rate(b_total[$__rate_interval]) * on (pod) group_left c'), ["a", "b_total", "c"]);
  });
});
