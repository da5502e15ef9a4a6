import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { charts } from "../versions";
import { platformAlertRules } from "./alert-rules";
import { dashboardConfigMaps } from "./dashboard-configmaps";

/**
 * The dashboards (ConfigMaps Grafana's sidecar loads) and the alert rules, in the monitoring
 * stack's namespace. `opts` must depend on the kube-prometheus-stack release: it creates the
 * namespace and the PrometheusRule CRD.
 */
export function registerMonitoringObjects(name: string, labels: Readonly<Record<string, string>>, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
  const namespace = charts.kubePrometheusStack.namespace;
  const configMaps = dashboardConfigMaps(namespace, labels).map((cm) => new k8s.core.v1.ConfigMap(`${name}-${cm.metadata.name}`, cm, opts));
  // The provider's args type every field beyond apiVersion and kind as `any`; PrometheusRule is the stricter.
  const rule: k8s.apiextensions.CustomResourceArgs = platformAlertRules(namespace, labels);
  return [...configMaps, new k8s.apiextensions.CustomResource(`${name}-alert-rules`, rule, opts)];
}
