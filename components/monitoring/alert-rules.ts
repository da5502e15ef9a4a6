import { RESTORE_CONTAINER } from "./metric-sources";

// The platform's alert rules as one PrometheusRule. Typed by hand from the CRD kube-prometheus-stack
// 88.5.3 ships (charts/crds/crds/crd-prometheusrules.yaml, Prometheus operator v0.93.1: spec.groups[]
// name/interval/rules, rules[] alert/expr/for/labels/annotations); test/monitoring-objects.test.ts
// validates the built object against that CRD's schema.

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: { readonly summary: string; readonly description: string };
}

export interface PrometheusRule {
  readonly apiVersion: "monitoring.coreos.com/v1";
  readonly kind: "PrometheusRule";
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: { readonly groups: readonly { readonly name: string; readonly rules: readonly AlertRule[] }[] };
}

const restore = `container="${RESTORE_CONTAINER}"`;

/** Alerts on the model cache, KV-cache saturation and GPU errors (docs/operations.md explains each). */
export const PLATFORM_ALERTS: readonly AlertRule[] = [
  {
    alert: "LlmModelRestoreFailing",
    // Each restart of the restore init container is a failed restore.sh run (its exit code names why).
    expr: `max by (namespace, pod) (increase(kube_pod_init_container_status_restarts_total{${restore}}[15m])) > 0`,
    for: "0m",
    labels: { severity: "critical" },
    annotations: {
      summary: "Weights restore failing for {{ $labels.namespace }}/{{ $labels.pod }}",
      description:
        "The restore init container of {{ $labels.pod }} failed {{ $value }} time(s) in 15 minutes. Its last exit code (Failed restores panel) says why: 10 snapshot not seeded, 11 store refused access, 12 NVMe full, 13 snapshot does not match its manifest, 1 other; its log holds a restore-error JSON line.",
    },
  },
  {
    alert: "LlmModelRestoreStuck",
    expr: `max by (namespace, pod) (kube_pod_init_container_status_running{${restore}}) == 1`,
    for: "30m",
    labels: { severity: "warning" },
    annotations: {
      summary: "{{ $labels.namespace }}/{{ $labels.pod }} has been restoring weights for over 30 minutes",
      description:
        "A restore normally takes minutes (model size over the node's store bandwidth). One running this long is throttled, waiting on another restore's lock of the same revision, or hung on the store.",
    },
  },
  {
    alert: "LlmKvCacheSaturated",
    expr: "max by (namespace, pod) (vllm:kv_cache_usage_perc) > 0.95 and on (namespace, pod) max by (namespace, pod) (vllm:num_requests_waiting) > 0",
    for: "10m",
    labels: { severity: "warning" },
    annotations: {
      summary: "KV cache of {{ $labels.namespace }}/{{ $labels.pod }} is full with requests waiting",
      description:
        "Over 95% of the replica's KV-cache blocks have been in use for 10 minutes while requests queue: new requests wait for running ones to finish. Add replicas, or lower max-model-len or concurrency.",
    },
  },
  {
    alert: "LlmGpuXidError",
    expr: "max by (Hostname, gpu, UUID) (DCGM_FI_DEV_XID_ERRORS) > 0",
    for: "0m",
    labels: { severity: "critical" },
    annotations: {
      summary: "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported XID {{ $value }}",
      description:
        "The NVIDIA driver reported an XID error on this GPU. Some (13, 31, 43) are application faults; others (48, 63, 64, 74, 79, 92, 94, 95) mean memory or hardware faults: drain the node and check the NVIDIA XID catalogue.",
    },
  },
];

/** The PrometheusRule holding every platform alert; the installed Prometheus selects every rule. */
export function platformAlertRules(namespace: string, labels: Readonly<Record<string, string>>): PrometheusRule {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "llm-platform-alerts", namespace, labels },
    spec: { groups: [{ name: "llm-platform", rules: PLATFORM_ALERTS }] },
  };
}
