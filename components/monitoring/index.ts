export { MONITORING_FULLNAME, MONITORING_RELEASE, PROMETHEUS_SERVICE_PORT, prometheusQueryUrl } from "./prometheus-url";
export { DASHBOARD_LABEL, kubePrometheusStackValues } from "./stack-values";
export type { KubePrometheusStackValues, StackValuesOptions } from "./stack-values";
export { platformAlertRules, PLATFORM_ALERTS } from "./alert-rules";
export { platformDashboards, PROMETHEUS_DATASOURCE } from "./dashboards";
export { dashboardConfigMaps } from "./dashboard-configmaps";
export { registerMonitoringObjects } from "./monitoring-objects";
export { RESTORE_METRICS_DIR, restoreMetricsDir } from "./restore-metrics";
export { monitoringNamespace } from "./monitoring-namespace";
