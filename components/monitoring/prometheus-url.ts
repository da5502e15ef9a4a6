import type { ResolvedMonitoring } from "../config";
import { charts } from "../versions";

/** Release name of the installed kube-prometheus-stack. */
export const MONITORING_RELEASE = "kube-prometheus-stack";
/**
 * The chart's `fullnameOverride`: names the Prometheus Service `<fullname>-prometheus`
 * (templates/prometheus/service.yaml) whatever the release is called.
 */
export const MONITORING_FULLNAME = "kube-prometheus-stack";
/** The chart's `prometheus.service.port` default (values.yaml), which the platform keeps. */
export const PROMETHEUS_SERVICE_PORT = 9090;

/**
 * Where in-cluster clients (scalers, Grafana) query Prometheus: the installed stack's Prometheus
 * Service (its `routePrefix` stays `/`), the configured existing Prometheus, or undefined when the
 * platform knows of none.
 */
export function prometheusQueryUrl(monitoring: Pick<ResolvedMonitoring, "install" | "prometheusUrl">): string | undefined {
  if (monitoring.install) {
    return `http://${MONITORING_FULLNAME}-prometheus.${charts.kubePrometheusStack.namespace}.svc:${PROMETHEUS_SERVICE_PORT}`;
  }
  return monitoring.prometheusUrl;
}
