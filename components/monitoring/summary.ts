import type { ResolvedMonitoring } from "../config";
import { charts } from "../versions";
import { PLATFORM_ALERTS } from "./alert-rules";
import { DASHBOARD_SPECS } from "./dashboards";
import { prometheusQueryUrl } from "./prometheus-url";

/** What an environment's monitoring is, for the stack outputs and the plan. */
export interface MonitoringSummary {
  /** The installed stack (`chart version`), or undefined when nothing is installed. */
  readonly stack?: string;
  readonly namespace?: string;
  /** Where in-cluster clients query Prometheus; undefined when the platform knows of none. */
  readonly prometheusUrl?: string;
  /** Whether ServiceMonitors/PodMonitors are rendered. */
  readonly scrapeObjects: boolean;
  /** Titles of the dashboards and names of the alerts installed. */
  readonly dashboards: readonly string[];
  readonly alerts: readonly string[];
}

export function monitoringSummary(monitoring: ResolvedMonitoring): MonitoringSummary {
  const url = prometheusQueryUrl(monitoring);
  const pin = charts.kubePrometheusStack;
  return {
    ...(monitoring.install ? { stack: `${pin.chart} ${pin.version}`, namespace: pin.namespace } : {}),
    ...(url === undefined ? {} : { prometheusUrl: url }),
    scrapeObjects: monitoring.prometheusOperator,
    dashboards: monitoring.install ? DASHBOARD_SPECS.map((d) => d.title) : [],
    alerts: monitoring.install ? PLATFORM_ALERTS.map((a) => a.alert) : [],
  };
}

/** One line for the plan: what is installed, where Prometheus is queried, what is shipped. */
export function monitoringLine(s: MonitoringSummary): string {
  const scrape = s.scrapeObjects ? "scrape objects rendered" : "no scrape objects";
  if (s.stack === undefined) {
    return s.prometheusUrl === undefined ? `none installed; ${scrape}` : `an existing Prometheus at ${s.prometheusUrl}; ${scrape}`;
  }
  return `${s.stack} in namespace ${s.namespace ?? ""}, Prometheus at ${s.prometheusUrl ?? ""}; ${scrape}; dashboards: ${s.dashboards.join(", ")}; alerts: ${s.alerts.join(", ")}`;
}
