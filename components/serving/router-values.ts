import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
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

/**
 * Values of the llm-d router chart v0.10.0: the keys the platform sets, and those the chart's
 * object names depend on (router-objects.ts reads them). The chart ships no values.schema.json.
 */
export interface RouterValues {
  /** routerlib values.yaml (aliased `router` by llm-d-router-gateway's Chart.yaml). */
  readonly router?: {
    /** routerlib values.yaml `modelServers`; `matchLabels` is required when the chart creates the pool (_inferencepool.yaml). */
    readonly modelServers?: {
      readonly matchLabels?: Readonly<Record<string, string>>;
      readonly targetPorts?: readonly { readonly number: number }[];
    };
    /** routerlib values.yaml `inferencePool`, `inferenceObjectives`. */
    readonly inferencePool?: { readonly create?: boolean };
    readonly inferenceObjectives?: readonly { readonly name: string }[];
    /** routerlib values.yaml `epp`; `grpcHealthPort` only commented there (gke.yaml defaults it to 9003). */
    readonly epp?: {
      readonly replicas?: number;
      readonly image?: { readonly registry?: string; readonly repository?: string; readonly tag?: string; readonly pullPolicy?: "Always" | "IfNotPresent" | "Never" };
      readonly pluginsConfigFile?: string;
      /** File name to EndpointPickerConfig YAML, rendered into the EPP's ConfigMap. */
      readonly pluginsCustomConfig?: Readonly<Record<string, string>>;
      readonly resources?: IResourceRequirements;
      readonly grpcHealthPort?: number;
    };
    /** routerlib values.yaml `proxy`, `latencyPredictor` (the platform turns neither on). */
    readonly proxy?: { readonly enabled?: boolean; readonly configMap?: { readonly name?: string } };
    readonly latencyPredictor?: { readonly enabled?: boolean };
    /** routerlib values.yaml `tokenizer` (the sidecar precise routing tokenizes with). */
    readonly tokenizer?: { readonly enabled?: boolean; readonly modelName?: string; readonly env?: readonly IEnvVar[] };
    /** routerlib values.yaml `monitoring`. */
    readonly monitoring?: {
      readonly provider?: { readonly name?: string; readonly gmp?: { readonly autopilot?: boolean } };
      readonly prometheus?: { readonly enabled?: boolean; readonly auth?: { readonly enabled?: boolean; readonly secretName?: string } };
    };
  };
  /** llm-d-router-gateway values.yaml `provider` (none, gke, istio); `gke.autopilot` is the older key routerlib _helpers.tpl still honours. */
  readonly provider?: {
    readonly name?: "none" | "gke" | "istio";
    readonly gke?: { readonly autopilot?: boolean; readonly preferredBackends?: { readonly enabled?: boolean } };
  };
  /** llm-d-router-gateway values.yaml `httpRoute`. */
  readonly httpRoute?: { readonly create?: boolean };
}

/**
 * `platformPrometheus`: the platform's own Prometheus scrapes the picker, so on GKE too its metrics
 * go out as a ServiceMonitor (routerlib `monitoring.provider.name: prometheusoperator`) rather than
 * the Managed Prometheus PodMonitoring `provider.name: gke` would otherwise select.
 */
export function routerValues(model: ResolvedModel, options: { prometheusOperator: boolean; gke: boolean; platformPrometheus?: boolean }): RouterValues {
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
      monitoring: {
        ...(options.platformPrometheus === true ? { provider: { name: "prometheusoperator" } } : {}),
        prometheus: { enabled: options.prometheusOperator, auth: { secretName: metricsReaderSecretName(routerReleaseName(model.name)) } },
      },
    },
    provider: { name: options.gke ? "gke" : "none" },
    // KServe manages the HTTPRoute of each LLMInferenceService.
    httpRoute: { create: false },
  };
}
