import { stringify } from "yaml";
import type { ResolvedModel } from "../config";
import { images } from "../versions";
import { endpointPickerConfig } from "./epp-config";
import { VLLM_PORT } from "./vllm-args";

// Values of the llm-d router chart (llm-d-router-gateway v0.10.0, whose keys sit under `router.`
// because it aliases the routerlib chart; see config/charts/routerlib/values.yaml).

/** File name of the platform's EPP config inside the chart's ConfigMap. */
export const EPP_CONFIG_FILE = "llm-platform.yaml";

/** Router release (and InferencePool) name of a model; the chart names the EPP `<release>-epp`. */
export function routerReleaseName(model: string): string {
  return `${model}-router`;
}

/**
 * Name of the metrics-reader token Secret a router release renders when Prometheus scrapes its EPP
 * (routerlib `_sa-token-secret.yaml`). The chart's default is one fixed name for every release, so
 * a second release in the namespace would fail on an object the first one owns.
 */
export function metricsReaderSecretName(release: string): string {
  return `${release}-epp-metrics-reader`;
}

/** Labels KServe puts on a model's workload pods (workload_single_node.go, v0.20). */
export function workloadSelector(model: string): Record<string, string> {
  return { "app.kubernetes.io/name": model, "kserve.io/component": "workload" };
}

export function routerValues(model: ResolvedModel, options: { prometheusOperator: boolean; gke: boolean }): Record<string, unknown> {
  const config = endpointPickerConfig({
    weights: model.scorerWeights,
    blockSize: model.blockSize,
    disaggregation: model.disaggregation !== undefined,
    flavour: model.routing === "precise" ? "precise" : "llm-d",
    tokenizerModel: model.source.uri.replace(/^hf:\/\//, ""),
  });
  return {
    router: {
      modelServers: { matchLabels: workloadSelector(model.name), targetPorts: [{ number: VLLM_PORT }] },
      inferencePool: { create: true },
      epp: {
        replicas: model.routerReplicas,
        image: { registry: "ghcr.io/llm-d", repository: images.endpointPicker.image.split("/").pop(), tag: images.endpointPicker.tag, pullPolicy: "IfNotPresent" },
        pluginsConfigFile: EPP_CONFIG_FILE,
        pluginsCustomConfig: { [EPP_CONFIG_FILE]: stringify(config) },
        // The chart's default asks for 8 CPUs; one picker per model needs far less.
        resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "8Gi" } },
      },
      ...(model.routing === "precise" ? { tokenizer: { enabled: true, modelName: model.source.uri.replace(/^hf:\/\//, ""), env: [] } } : {}),
      monitoring: { prometheus: { enabled: options.prometheusOperator, auth: { secretName: metricsReaderSecretName(routerReleaseName(model.name)) } } },
    },
    provider: { name: options.gke ? "gke" : "none" },
    // KServe manages the HTTPRoute of each LLMInferenceService.
    httpRoute: { create: false },
  };
}
