import type { PodMonitor } from "../generated/crds/monitoring.coreos.com/v1/PodMonitor";
import { VLLM_PORT } from "./vllm-args";
import { workloadSelector } from "./router-values";

/** PodMonitor scraping a model's vLLM (or simulator) pods on their serving port. */
export function modelPodMonitor(model: string, namespace: string, labels: Record<string, string>): PodMonitor {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: `${model}-vllm`, namespace, labels },
    spec: {
      selector: { matchLabels: workloadSelector(model) },
      podMetricsEndpoints: [{ portNumber: VLLM_PORT, path: "/metrics", interval: "15s" }],
    },
  };
}
