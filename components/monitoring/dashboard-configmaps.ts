import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import { platformDashboards } from "./dashboards";
import { DASHBOARD_LABEL } from "./stack-values";

/** One ConfigMap per dashboard, labelled for Grafana's sidecar, which loads every such ConfigMap. */
export function dashboardConfigMaps(namespace: string, labels: Readonly<Record<string, string>>): (IConfigMap & { metadata: { name: string } })[] {
  return [...platformDashboards()].map(([file, dashboard]) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: file.replace(/\.json$/, ""), namespace, labels: { ...labels, [DASHBOARD_LABEL.key]: DASHBOARD_LABEL.value } },
    data: { [file]: JSON.stringify(dashboard) },
  }));
}
