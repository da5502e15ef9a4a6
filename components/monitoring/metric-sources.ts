// Every metric the platform's dashboards and alert rules may name, with where each is exposed at the
// versions the platform runs. test/monitoring-metrics.test.ts parses every query and fails on a
// metric missing here. A histogram is listed by its base name; queries use its _bucket, _sum or
// _count series.

/** The restore init container of serving pods (components/cache/workloads.ts restoreContainer). */
export const RESTORE_CONTAINER = "restore-weights";

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricSource {
  /** Who exposes it. */
  readonly exporter: "vllm" | "router" | "dcgm-exporter" | "kube-state-metrics" | "model-cache";
  /** Repository, tag and file where the name is defined. */
  readonly source: string;
  readonly metrics: Readonly<Record<string, MetricType>>;
  /** Labels its series carry: the exporter's own (from `source`) and those the scrape adds. */
  readonly labels: readonly string[];
}

/** Labels the Prometheus operator gives every target of a PodMonitor or ServiceMonitor (v0.93.1). */
const TARGET_LABELS = ["namespace", "pod", "container", "endpoint", "job", "instance"];
/** ServiceMonitor targets also carry their Service. */
const SERVICE_TARGET_LABELS = [...TARGET_LABELS, "service"];

export const METRIC_SOURCES: readonly MetricSource[] = [
  {
    exporter: "vllm",
    // The serving image (llm-d-cuda v0.8.0 from KServe v0.20.0's presets) does not publish its vLLM
    // version where it could be read; the names are those vLLM's V1 engine exposes, as the router
    // reads them (factories.go below) and as the simulator staging and dev run reproduces them.
    source:
      "llm-d/llm-d-inference-sim v0.10.2 pkg/llm-d-inference-sim/metrics.go and pkg/common (the vLLM names it mimics); llm-d/llm-d-router v0.10.0 pkg/epp/framework/plugins/datalayer/extractor/metrics/factories.go (defaultEngineConfigs vllm)",
    metrics: {
      "vllm:generation_tokens_total": "counter",
      "vllm:prompt_tokens_total": "counter",
      "vllm:num_requests_waiting": "gauge",
      "vllm:num_requests_running": "gauge",
      "vllm:kv_cache_usage_perc": "gauge",
      "vllm:time_to_first_token_seconds": "histogram",
      "vllm:inter_token_latency_seconds": "histogram",
    },
    // model_name on every vLLM series (vLLM V1 adds engine); the platform's PodMonitor scrapes them.
    labels: ["model_name", "engine", ...TARGET_LABELS],
  },
  {
    exporter: "router",
    source:
      "llm-d/llm-d-router v0.10.0 pkg/epp/metrics/llm_d_router_metrics.go (subsystem llm_d_epp; pool metrics labelled name, scheduler attempts labelled status, target_model_name, endpoint_name, namespace, port) and pkg/epp/framework/plugins/requestcontrol/dataproducer/approximateprefix/metrics.go",
    metrics: {
      llm_d_epp_prefix_indexer_hit_ratio: "histogram",
      llm_d_epp_scheduler_attempts_total: "counter",
      llm_d_epp_average_queue_size: "gauge",
      llm_d_epp_average_kv_cache_utilization: "gauge",
      llm_d_epp_ready_endpoints: "gauge",
    },
    // The router chart's ServiceMonitor scrapes the picker; namespace is also its own label on scheduler attempts.
    labels: ["name", "status", "target_model_name", "endpoint_name", "port", "plugin_name", "plugin_type", ...SERVICE_TARGET_LABELS],
  },
  {
    exporter: "dcgm-exporter",
    // GPU Operator v25.10.1 values.yaml dcgmExporter.version 4.4.2-4.7.0-distroless; its
    // assets/state-dcgm-exporter/0800_daemonset.yaml sets DCGM_EXPORTER_COLLECTORS to
    // /etc/dcgm-exporter/dcp-metrics-included.csv, and the platform sets no custom metrics config.
    source: "NVIDIA/dcgm-exporter 4.4.2-4.7.0 etc/dcp-metrics-included.csv (labels gpu, UUID, Hostname, modelName)",
    metrics: {
      DCGM_FI_DEV_GPU_UTIL: "gauge",
      DCGM_FI_PROF_PIPE_TENSOR_ACTIVE: "gauge",
      DCGM_FI_DEV_FB_USED: "gauge",
      DCGM_FI_DEV_POWER_USAGE: "gauge",
      DCGM_FI_DEV_GPU_TEMP: "gauge",
      DCGM_FI_DEV_XID_ERRORS: "gauge",
    },
    labels: ["gpu", "UUID", "device", "modelName", "Hostname", "pci_bus_id", "DCGM_FI_DRIVER_VERSION", ...SERVICE_TARGET_LABELS],
  },
  {
    exporter: "kube-state-metrics",
    // kube-prometheus-stack 88.5.3 runs kube-state-metrics chart 8.4.0, appVersion 2.20.0.
    source: "kubernetes/kube-state-metrics v2.20.0 docs/metrics/workload/pod-metrics.md",
    metrics: {
      kube_pod_init_container_status_running: "gauge",
      kube_pod_init_container_state_started: "gauge",
      kube_pod_init_container_status_restarts_total: "counter",
      kube_pod_init_container_status_last_terminated_exitcode: "gauge",
    },
    // The chart's ServiceMonitor honours kube-state-metrics' own namespace/pod/container labels.
    labels: ["namespace", "pod", "uid", "container", ...SERVICE_TARGET_LABELS],
  },
  {
    exporter: "model-cache",
    // Written by every restore that copies, read by node-exporter's textfile collector
    // (components/monitoring/restore-metrics.ts); labelled model and revision, plus the node
    // exporter's instance/pod target labels.
    source: "this repository: components/cache/scripts/restore.sh write_metrics",
    metrics: {
      llm_cache_restore_bytes: "gauge",
      llm_cache_restore_seconds: "gauge",
      llm_cache_restore_timestamp_seconds: "gauge",
    },
    // node is the node-exporter ServiceMonitor's relabeling (stack-values.ts NODE_LABEL).
    labels: ["model", "revision", "node", ...SERVICE_TARGET_LABELS],
  },
];

/** A series name a query may use, where it comes from and the labels it carries. */
export interface ExposedSeries {
  readonly source: string;
  readonly labels: ReadonlySet<string>;
}

/** Series names a query may use for each listed metric: histograms through their _bucket (with `le`), _sum and _count. */
export function exposedSeries(): ReadonlyMap<string, ExposedSeries> {
  const series = new Map<string, ExposedSeries>();
  for (const source of METRIC_SOURCES) {
    for (const [name, type] of Object.entries(source.metrics)) {
      const names = type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      for (const n of names) {
        const labels = new Set(n.endsWith("_bucket") ? [...source.labels, "le"] : source.labels);
        series.set(n, { source: `${source.exporter}: ${source.source}`, labels });
      }
    }
  }
  return series;
}
