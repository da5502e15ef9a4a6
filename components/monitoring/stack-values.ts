import { MONITORING_FULLNAME } from "./prometheus-url";

// Helm values of kube-prometheus-stack 88.5.3 (no values.schema.json): only the keys the platform
// sets, each read in the chart's values.yaml or its subcharts' (kube-state-metrics 8.4.0,
// prometheus-node-exporter 4.56.1, grafana 12.11.1) at that release.

/** The label and value Grafana's dashboard sidecar watches ConfigMaps for (values.yaml `grafana.sidecar.dashboards.label`/`labelValue`). */
export const DASHBOARD_LABEL = { key: "grafana_dashboard", value: "1" } as const;

/** Pod placement shared by the stack's Deployments and StatefulSets (`nodeSelector` under each). */
interface Placement {
  readonly nodeSelector?: Readonly<Record<string, string>>;
}

/**
 * A label selector the chart passes through to the Prometheus resource. `{}` selects every object;
 * with the chart's `*SelectorNilUsesHelmValues: true` default, an empty selector would instead
 * select only objects labelled `release: <release name>`, which none of the platform's are.
 */
type Selector = Readonly<Record<string, never>>;

export interface KubePrometheusStackValues {
  /** values.yaml `fullnameOverride`: fixes the Service names clients query. */
  readonly fullnameOverride: string;
  /** values.yaml `crds.enabled`: the operator's CRDs from the `crds` subchart. */
  readonly crds: { readonly enabled: boolean };
  /**
   * values.yaml `kubeControllerManager`/`kubeScheduler`/`kubeEtcd`.`enabled`: scrape targets on
   * the control-plane nodes, which EKS and GKE do not expose.
   */
  readonly kubeControllerManager: { readonly enabled: boolean };
  readonly kubeScheduler: { readonly enabled: boolean };
  readonly kubeEtcd: { readonly enabled: boolean };
  /** values.yaml `windowsMonitoring.enabled`: no Windows nodes. */
  readonly windowsMonitoring: { readonly enabled: boolean };
  /** values.yaml `prometheusOperator.nodeSelector`, `prometheusOperator.admissionWebhooks.patch.nodeSelector`. */
  readonly prometheusOperator: Placement & { readonly admissionWebhooks: { readonly patch: Placement } };
  /** values.yaml `prometheus.prometheusSpec`. */
  readonly prometheus: {
    readonly prometheusSpec: Placement & {
      readonly retention: string;
      readonly serviceMonitorSelectorNilUsesHelmValues: boolean;
      readonly serviceMonitorSelector: Selector;
      readonly serviceMonitorNamespaceSelector: Selector;
      readonly podMonitorSelectorNilUsesHelmValues: boolean;
      readonly podMonitorSelector: Selector;
      readonly podMonitorNamespaceSelector: Selector;
      readonly ruleSelectorNilUsesHelmValues: boolean;
      readonly ruleSelector: Selector;
      readonly ruleNamespaceSelector: Selector;
    };
  };
  /** values.yaml `alertmanager.alertmanagerSpec.nodeSelector`. */
  readonly alertmanager: { readonly alertmanagerSpec: Placement };
  /**
   * values.yaml `prometheus-node-exporter.extraArgs` (a list: set, it replaces the chart's two
   * filesystem arguments, so those are repeated): the model cache's textfile directories, read
   * through the chart's host root mount (prometheus-node-exporter 4.56.1 `hostRootFsMount`, at /host/root).
   */
  readonly "prometheus-node-exporter": {
    readonly extraArgs?: readonly string[];
    /**
     * values.yaml `prometheus-node-exporter.prometheus.monitor.relabelings` (the ServiceMonitor's
     * RelabelConfigs, Prometheus operator v0.93.1): the node's name as a `node` label, which the
     * model-cache dashboard groups by.
     */
    readonly prometheus: { readonly monitor: { readonly relabelings: readonly { readonly sourceLabels: readonly string[]; readonly targetLabel: string; readonly action: "replace" }[] } };
  };
  /** kube-state-metrics 8.4.0 values.yaml `nodeSelector`. */
  readonly "kube-state-metrics": Placement;
  /**
   * grafana 12.11.1 values.yaml `nodeSelector` and `sidecar.dashboards` (enabled, label,
   * labelValue, searchNamespace) as kube-prometheus-stack's values.yaml sets them; `adminPassword`
   * is left unset so the chart generates one into its Secret.
   */
  readonly grafana: Placement & {
    readonly enabled: boolean;
    readonly sidecar: { readonly dashboards: { readonly enabled: boolean; readonly label: string; readonly labelValue: string; readonly searchNamespace: string } };
  };
}

export interface StackValuesOptions {
  /** Node labels of the system nodes; undefined on clusters the platform did not build (no such label). */
  readonly systemNodeSelector?: Readonly<Record<string, string>>;
  /** How long Prometheus keeps samples. */
  readonly retention: string;
  /** Node directories where restores write their metrics (restoreMetricsDir of each cache root). Default: none. */
  readonly restoreMetricsDirs?: readonly string[];
}

/** kube-prometheus-stack 88.5.3 values.yaml `prometheus-node-exporter.extraArgs`, kept when the platform adds its own. */
export const NODE_EXPORTER_DEFAULT_ARGS: readonly string[] = [
  "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/containerd/.+|var/lib/docker/.+|var/lib/kubelet/.+)($|/)",
  "--collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs|erofs)$",
];

/** The label node-exporter's series carry the node's name in (set by the relabeling below). */
export const NODE_LABEL = "node";

/** Where node-exporter sees a node directory: under the chart's host root mount. */
const HOST_ROOT = "/host/root";

/**
 * kube-prometheus-stack selecting every ServiceMonitor, PodMonitor and PrometheusRule in the
 * cluster (the platform's carry no `release` label), with its controllers and Grafana on the system
 * nodes (node-exporter is a DaemonSet on every node, GPU nodes included, as the chart tolerates).
 */
export function kubePrometheusStackValues(options: StackValuesOptions): KubePrometheusStackValues {
  const placement: Placement = options.systemNodeSelector === undefined ? {} : { nodeSelector: options.systemNodeSelector };
  const textfiles = [...new Set(options.restoreMetricsDirs ?? [])].map((dir) => `--collector.textfile.directory=${HOST_ROOT}${dir}`);
  return {
    fullnameOverride: MONITORING_FULLNAME,
    crds: { enabled: true },
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeEtcd: { enabled: false },
    windowsMonitoring: { enabled: false },
    prometheusOperator: { ...placement, admissionWebhooks: { patch: placement } },
    prometheus: {
      prometheusSpec: {
        ...placement,
        retention: options.retention,
        serviceMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelector: {},
        serviceMonitorNamespaceSelector: {},
        podMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelector: {},
        podMonitorNamespaceSelector: {},
        ruleSelectorNilUsesHelmValues: false,
        ruleSelector: {},
        ruleNamespaceSelector: {},
      },
    },
    alertmanager: { alertmanagerSpec: placement },
    "prometheus-node-exporter": {
      // node_exporter v1.12.1 takes the textfile directory flag repeatedly (collector/textfile.go).
      ...(textfiles.length > 0 ? { extraArgs: [...NODE_EXPORTER_DEFAULT_ARGS, ...textfiles] } : {}),
      prometheus: { monitor: { relabelings: [{ sourceLabels: ["__meta_kubernetes_pod_node_name"], targetLabel: NODE_LABEL, action: "replace" }] } },
    },
    "kube-state-metrics": placement,
    grafana: {
      ...placement,
      enabled: true,
      sidecar: { dashboards: { enabled: true, label: DASHBOARD_LABEL.key, labelValue: DASHBOARD_LABEL.value, searchNamespace: "ALL" } },
    },
  };
}
