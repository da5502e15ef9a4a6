import type { INamespace } from "kubernetes-models/v1/Namespace";
import { podSecurityLabels } from "../security";
import { METRICS_ACCESS_LABEL } from "../serving/network-policies";
import { charts } from "../versions";

/**
 * The monitoring stack's namespace, created by the platform rather than by Helm so that it carries
 * the label the models namespace's NetworkPolicies admit scrapes from (vLLM on 8000, the routers'
 * metrics on 9090), and the privileged Pod Security level node-exporter's host network, PID
 * namespace and host root mount need.
 */
export function monitoringNamespace(labels: Readonly<Record<string, string>>): INamespace & { metadata: { name: string } } {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: charts.kubePrometheusStack.namespace, labels: { ...labels, ...podSecurityLabels("privileged"), [METRICS_ACCESS_LABEL]: "true" } },
  };
}
