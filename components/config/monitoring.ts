import type { Report } from "./report";
import type { ParsedPlatform } from "./schema";

/** The `monitoring` section with its defaults settled. */
export interface ResolvedMonitoring {
  /** Whether ServiceMonitors/PodMonitors are rendered (the cluster runs the Prometheus operator). */
  readonly prometheusOperator: boolean;
  /** Whether the platform installs kube-prometheus-stack, its dashboards and alert rules. */
  readonly install: boolean;
  /** A Prometheus the platform does not run, to query. */
  readonly prometheusUrl?: string;
}

/** Whether the Prometheus operator runs: said outright, or implied by installing the stack (which runs it). */
export function prometheusOperatorRuns(monitoring: ParsedPlatform["monitoring"]): boolean {
  return monitoring.prometheusOperator ?? monitoring.install;
}

/** Settles `monitoring` and reports settings that contradict each other. */
export function resolveMonitoring(monitoring: ParsedPlatform["monitoring"], report: Report): ResolvedMonitoring {
  if (monitoring.install && monitoring.prometheusUrl !== undefined) {
    report(
      "monitoring.prometheusUrl",
      "and install are mutually exclusive: with install the platform queries the Prometheus it deploys; drop install to use an existing Prometheus, or drop prometheusUrl",
    );
  }
  if (monitoring.install && monitoring.prometheusOperator === false) {
    report(
      "monitoring.prometheusOperator",
      "false contradicts install: kube-prometheus-stack runs the Prometheus operator and scrapes the platform through its ServiceMonitors/PodMonitors; drop prometheusOperator",
    );
  }
  return {
    prometheusOperator: prometheusOperatorRuns(monitoring),
    install: monitoring.install,
    ...(monitoring.prometheusUrl === undefined ? {} : { prometheusUrl: monitoring.prometheusUrl }),
  };
}
