// Helm values of the keda chart v2.20.2 (kedacore/charts keda/values.yaml; it ships no
// values.schema.json, so only the keys set here are typed). Pure.

interface ServiceMonitorSwitch {
  readonly enabled: boolean;
  readonly serviceMonitor: { readonly enabled: boolean };
}

export interface KedaValues {
  /** The chart's own CRDs (ScaledObject, ScaledJob, TriggerAuthentication, …): the one place they come from. */
  readonly crds: { readonly install: boolean };
  readonly operator: { readonly replicaCount: number };
  readonly metricsServer: { readonly replicaCount: number };
  readonly webhooks: { readonly enabled: boolean; readonly replicaCount: number };
  /** templates render a PodDisruptionBudget per component when its entry is set. */
  readonly podDisruptionBudget: {
    readonly operator: { readonly minAvailable?: number };
    readonly metricServer: { readonly minAvailable?: number };
    readonly webhooks: { readonly minAvailable?: number };
  };
  readonly prometheus: {
    readonly operator: ServiceMonitorSwitch;
    readonly metricServer: ServiceMonitorSwitch;
    readonly webhooks: ServiceMonitorSwitch;
  };
}

/**
 * KEDA on the system nodes (no GPU tolerations, so the GPU taints keep it off GPU nodes): its
 * operator (scalers, HPAs), the metrics API server the HPAs read and the admission webhooks that
 * refuse a second scaler on one workload. With two replicas (prod) only one operator leads; the
 * second shortens a failover, and a PodDisruptionBudget keeps one through node drains.
 */
export function kedaValues(options: { replicas: number; prometheusOperator: boolean }): KedaValues {
  const pdb = options.replicas > 1 ? { minAvailable: 1 } : {};
  const scrape: ServiceMonitorSwitch = { enabled: options.prometheusOperator, serviceMonitor: { enabled: options.prometheusOperator } };
  return {
    crds: { install: true },
    operator: { replicaCount: options.replicas },
    metricsServer: { replicaCount: options.replicas },
    webhooks: { enabled: true, replicaCount: options.replicas },
    podDisruptionBudget: { operator: pdb, metricServer: pdb, webhooks: pdb },
    prometheus: { operator: scrape, metricServer: scrape, webhooks: scrape },
  };
}
