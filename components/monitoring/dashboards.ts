import { LegendDisplayMode, LegendPlacement, VizLegendOptionsBuilder } from "@grafana/grafana-foundation-sdk/common";
import { DashboardBuilder, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { RESTORE_CONTAINER } from "./metric-sources";

// The platform's Grafana dashboards, built with the Grafana Foundation SDK. Each query names only
// metrics listed in metric-sources.ts (test/monitoring-metrics.test.ts parses every one).

/**
 * The Prometheus data source kube-prometheus-stack 88.5.3 provisions for its Grafana (values.yaml
 * `grafana.sidecar.datasources.uid`).
 */
export const PROMETHEUS_DATASOURCE = { type: "prometheus", uid: "prometheus" } as const;

interface Query {
  readonly expr: string;
  readonly legend: string;
}

interface PanelSpec {
  readonly title: string;
  readonly unit: string;
  readonly description: string;
  readonly queries: readonly Query[];
  readonly max?: number;
}

interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly rows: readonly RowSpec[];
}

const RATE = "[$__rate_interval]";
/** Histogram quantile over a vLLM/EPP histogram, per label set `by`. */
const quantile = (q: number, metric: string, by: string) => `histogram_quantile(${q}, sum by (le, ${by}) (rate(${metric}_bucket${RATE})))`;

const vllm: DashboardSpec = {
  uid: "llm-platform-vllm",
  title: "LLM platform / vLLM",
  rows: [
    {
      title: "Throughput and queue",
      panels: [
        {
          title: "Generated tokens/s",
          unit: "short",
          description: "Output tokens per second per model (vllm:generation_tokens_total).",
          queries: [{ expr: `sum by (model_name) (rate(vllm:generation_tokens_total${RATE}))`, legend: "{{model_name}}" }],
        },
        {
          title: "Prompt tokens/s",
          unit: "short",
          description: "Prompt tokens per second per model (vllm:prompt_tokens_total).",
          queries: [{ expr: `sum by (model_name) (rate(vllm:prompt_tokens_total${RATE}))`, legend: "{{model_name}}" }],
        },
        {
          title: "Requests waiting and running",
          unit: "short",
          description: "Requests queued in vLLM (waiting) and in a batch (running), per replica.",
          queries: [
            { expr: "sum by (pod) (vllm:num_requests_waiting)", legend: "waiting {{pod}}" },
            { expr: "sum by (pod) (vllm:num_requests_running)", legend: "running {{pod}}" },
          ],
        },
      ],
    },
    {
      title: "Latency",
      panels: [
        {
          title: "Time to first token",
          unit: "s",
          description: "p50 and p90 of the time from a request's arrival to its first output token.",
          queries: [
            { expr: quantile(0.5, "vllm:time_to_first_token_seconds", "model_name"), legend: "p50 {{model_name}}" },
            { expr: quantile(0.9, "vllm:time_to_first_token_seconds", "model_name"), legend: "p90 {{model_name}}" },
          ],
        },
        {
          title: "Inter-token latency",
          unit: "s",
          description: "p50 and p90 of the time between two output tokens of a request.",
          queries: [
            { expr: quantile(0.5, "vllm:inter_token_latency_seconds", "model_name"), legend: "p50 {{model_name}}" },
            { expr: quantile(0.9, "vllm:inter_token_latency_seconds", "model_name"), legend: "p90 {{model_name}}" },
          ],
        },
      ],
    },
    {
      title: "KV cache",
      panels: [
        {
          title: "KV-cache use",
          unit: "percentunit",
          max: 1,
          description: "Share of each replica's KV-cache blocks in use; near 1 with requests waiting means the replica is saturated.",
          queries: [{ expr: "max by (pod) (vllm:kv_cache_usage_perc)", legend: "{{pod}}" }],
        },
      ],
    },
  ],
};

const router: DashboardSpec = {
  uid: "llm-platform-router",
  title: "LLM platform / router",
  rows: [
    {
      title: "Routing",
      panels: [
        {
          title: "Prefix-cache hit rate",
          unit: "percentunit",
          max: 1,
          description: "Average share of a request's prefix the router found cached on the replica it picked (llm_d_epp_prefix_indexer_hit_ratio).",
          queries: [
            {
              expr: `sum by (namespace) (rate(llm_d_epp_prefix_indexer_hit_ratio_sum${RATE})) / sum by (namespace) (rate(llm_d_epp_prefix_indexer_hit_ratio_count${RATE}))`,
              legend: "{{namespace}}",
            },
          ],
        },
        {
          title: "Picks per pod",
          unit: "reqps",
          description: "Successful scheduling decisions per second, by the model server picked.",
          queries: [{ expr: `sum by (endpoint_name) (rate(llm_d_epp_scheduler_attempts_total{status="success"}${RATE}))`, legend: "{{endpoint_name}}" }],
        },
        {
          title: "Failed picks",
          unit: "reqps",
          description: "Scheduling attempts that found no model server.",
          queries: [{ expr: `sum by (target_model_name) (rate(llm_d_epp_scheduler_attempts_total{status="failure"}${RATE}))`, legend: "{{target_model_name}}" }],
        },
      ],
    },
    {
      title: "Pool as the router sees it",
      panels: [
        {
          title: "Average queue and KV-cache use",
          unit: "short",
          description: "The router's view of its pool: mean waiting requests and mean KV-cache use over ready replicas.",
          queries: [
            { expr: "max by (name) (llm_d_epp_average_queue_size)", legend: "queue {{name}}" },
            { expr: "max by (name) (llm_d_epp_average_kv_cache_utilization)", legend: "KV {{name}}" },
          ],
        },
        {
          title: "Ready replicas",
          unit: "short",
          description: "Model servers the router can pick.",
          queries: [{ expr: "max by (name) (llm_d_epp_ready_endpoints)", legend: "{{name}}" }],
        },
      ],
    },
  ],
};

const gpus: DashboardSpec = {
  uid: "llm-platform-gpus",
  title: "LLM platform / GPUs",
  rows: [
    {
      title: "Use",
      panels: [
        {
          title: "GPU utilisation",
          unit: "percent",
          description: "Share of time a kernel ran, per GPU (DCGM_FI_DEV_GPU_UTIL).",
          queries: [{ expr: "avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)", legend: "{{Hostname}} gpu {{gpu}}" }],
        },
        {
          title: "Tensor-core activity",
          unit: "percentunit",
          description: "Share of cycles the tensor pipes were busy (DCGM_FI_PROF_PIPE_TENSOR_ACTIVE).",
          queries: [{ expr: "avg by (Hostname, gpu) (DCGM_FI_PROF_PIPE_TENSOR_ACTIVE)", legend: "{{Hostname}} gpu {{gpu}}" }],
        },
        {
          title: "Framebuffer used",
          unit: "decmbytes",
          description: "GPU memory in use (vLLM reserves most of it for weights and KV cache at start).",
          queries: [{ expr: "sum by (Hostname, gpu) (DCGM_FI_DEV_FB_USED)", legend: "{{Hostname}} gpu {{gpu}}" }],
        },
      ],
    },
    {
      title: "Health",
      panels: [
        {
          title: "Power",
          unit: "watt",
          description: "Board power draw.",
          queries: [{ expr: "sum by (Hostname, gpu) (DCGM_FI_DEV_POWER_USAGE)", legend: "{{Hostname}} gpu {{gpu}}" }],
        },
        {
          title: "Temperature",
          unit: "celsius",
          description: "GPU die temperature.",
          queries: [{ expr: "max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP)", legend: "{{Hostname}} gpu {{gpu}}" }],
        },
        {
          title: "Last XID error",
          unit: "short",
          description: "The last XID error code a GPU reported (0: none); see the GPU XID alert.",
          queries: [{ expr: "max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS)", legend: "{{Hostname}} gpu {{gpu}}" }],
        },
      ],
    },
  ],
};

const restore = `{container="${RESTORE_CONTAINER}"}`;
const modelCache: DashboardSpec = {
  uid: "llm-platform-model-cache",
  title: "LLM platform / model cache",
  rows: [
    {
      title: "Last copy onto each node (restore.sh, via node-exporter)",
      panels: [
        {
          title: "Restore GB/s",
          unit: "Bps",
          description: "Bytes over seconds of each node's last restore that copied a model (decimal units: 1 GB/s = 1e9 bytes/s); restores that found the revision complete are not counted.",
          queries: [{ expr: "max by (node, model) (llm_cache_restore_bytes / llm_cache_restore_seconds)", legend: "{{model}} on {{node}}" }],
        },
        {
          title: "Restore seconds",
          unit: "s",
          description: "How long each node's last copy of a model took, from taking its lock to publishing.",
          queries: [{ expr: "max by (node, model) (llm_cache_restore_seconds)", legend: "{{model}} on {{node}}" }],
        },
        {
          title: "Restored bytes",
          unit: "decbytes",
          description: "Size of each node's last copy of a model.",
          queries: [
            { expr: "max by (node, model) (llm_cache_restore_bytes)", legend: "{{model}} on {{node}}" },
          ],
        },
        {
          title: "Age of the last copy",
          unit: "s",
          description: "Seconds since each node last copied a model from the store.",
          queries: [{ expr: "time() - max by (node, model) (llm_cache_restore_timestamp_seconds)", legend: "{{model}} on {{node}}" }],
        },
      ],
    },
    {
      title: "Restores into serving pods",
      panels: [
        {
          title: "Pods restoring weights",
          unit: "short",
          description: "Serving pods whose restore init container is running now, per namespace (kube-state-metrics).",
          queries: [{ expr: `sum by (namespace) (kube_pod_init_container_status_running${restore})`, legend: "{{namespace}}" }],
        },
        {
          title: "Seconds in restore",
          unit: "s",
          description: "How long each pod's restore has been running: now minus the init container's start (kube-state-metrics).",
          queries: [
            {
              expr: `max by (namespace, pod) ((time() - kube_pod_init_container_state_started${restore}) * on (namespace, pod, container) kube_pod_init_container_status_running${restore})`,
              legend: "{{pod}}",
            },
          ],
        },
        {
          title: "Failed restores",
          unit: "short",
          description: "Restarts of the restore init container (each is a failed restore) and its last exit code: 10 no snapshot, 11 access refused, 12 no space, 13 manifest mismatch, 1 other.",
          queries: [
            { expr: `sum by (namespace, pod) (increase(kube_pod_init_container_status_restarts_total${restore}${RATE}))`, legend: "restarts {{pod}}" },
            { expr: `max by (namespace, pod) (kube_pod_init_container_status_last_terminated_exitcode${restore})`, legend: "last exit code {{pod}}" },
          ],
        },
      ],
    },
  ],
};

/** Every dashboard the platform ships, by file name (the ConfigMap key Grafana's sidecar writes). */
export const DASHBOARD_SPECS: readonly DashboardSpec[] = [vllm, router, gpus, modelCache];

const PANEL_HEIGHT = 8;
const PANEL_WIDTH = 8;

/** Builds one dashboard's JSON model with the SDK. */
export function buildDashboard(spec: DashboardSpec): Dashboard {
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .tags(["llm-platform"])
    .editable()
    .refresh("30s")
    .time({ from: "now-3h", to: "now" })
    .timezone("utc");
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title));
    for (const panel of row.panels) {
      const p = new PanelBuilder()
        .title(panel.title)
        .description(panel.description)
        .unit(panel.unit)
        .min(0)
        .height(PANEL_HEIGHT)
        .span(PANEL_WIDTH)
        .datasource(PROMETHEUS_DATASOURCE)
        .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom));
      if (panel.max !== undefined) {
        p.max(panel.max);
      }
      panel.queries.forEach((q, i) => p.withTarget(new DataqueryBuilder().expr(q.expr).legendFormat(q.legend).refId(String.fromCharCode(65 + i))));
      builder.withPanel(p);
    }
  }
  return builder.build();
}

/** Every dashboard's JSON model, keyed by the file name Grafana loads it from. */
export function platformDashboards(): ReadonlyMap<string, Dashboard> {
  return new Map(DASHBOARD_SPECS.map((spec) => [`${spec.uid}.json`, buildDashboard(spec)]));
}
