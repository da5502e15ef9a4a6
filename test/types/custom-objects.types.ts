// Compile-time checks of the generated custom-resource types: `npm run typecheck` (tsc over test/**)
// fails if any line marked @ts-expect-error compiles, i.e. if the types stop rejecting the mistake.
// Not a mocha spec: nothing here runs.
import type { Gateway } from "../../components/generated/crds/gateway.networking.k8s.io/v1/Gateway";
import type { LLMInferenceService } from "../../components/generated/crds/serving.kserve.io/v1alpha2/LLMInferenceService";
import type { PodMonitor } from "../../components/generated/crds/monitoring.coreos.com/v1/PodMonitor";
import { customObject } from "../../components/kube-object";

const metadata = { name: "qwen3-8b", namespace: "llm-models" };
const model = { uri: "hf://Qwen/Qwen3-8B", name: "qwen3-8b" };

/** The control: a valid service compiles, so the errors below are about the marked fields alone. */
export const valid: LLMInferenceService = {
  apiVersion: "serving.kserve.io/v1alpha2",
  kind: "LLMInferenceService",
  metadata,
  spec: {
    model,
    replicas: 2,
    template: { containers: [{ name: "main", args: ["--max-model-len=8192"], resources: { limits: { "nvidia.com/gpu": "1" } } }] },
    router: { route: { http: { spec: { rules: [{ matches: [{ path: { type: "PathPrefix", value: "/v1" } }] }] } } } },
  },
};

export const misspeltSpecField: LLMInferenceService = {
  apiVersion: "serving.kserve.io/v1alpha2",
  kind: "LLMInferenceService",
  metadata,
  spec: {
    model,
    // @ts-expect-error -- `replica` is not a field of the spec (`replicas` is)
    replica: 2,
  },
};

export const wrongType: LLMInferenceService = {
  apiVersion: "serving.kserve.io/v1alpha2",
  kind: "LLMInferenceService",
  metadata,
  spec: {
    model,
    // @ts-expect-error -- replicas is an integer, not a string
    replicas: "2",
  },
};

export const misspeltContainerField: LLMInferenceService = {
  apiVersion: "serving.kserve.io/v1alpha2",
  kind: "LLMInferenceService",
  metadata,
  spec: {
    model,
    template: {
      containers: [
        {
          name: "main",
          // @ts-expect-error -- `volumeMount` is not a container field (`volumeMounts` is)
          volumeMount: [{ name: "dshm", mountPath: "/dev/shm" }],
        },
      ],
    },
  },
};

export const missingModelUri: LLMInferenceService = {
  apiVersion: "serving.kserve.io/v1alpha2",
  kind: "LLMInferenceService",
  metadata,
  spec: {
    // @ts-expect-error -- spec.model.uri is required
    model: { name: "qwen3-8b" },
  },
};

export const wrongRouteEnum: LLMInferenceService = {
  apiVersion: "serving.kserve.io/v1alpha2",
  kind: "LLMInferenceService",
  metadata,
  spec: {
    model,
    // @ts-expect-error -- a path match's type is Exact, PathPrefix or RegularExpression
    router: { route: { http: { spec: { rules: [{ matches: [{ path: { type: "Prefix", value: "/v1" } }] }] } } } },
  },
};

export const wrongVersion: LLMInferenceService = {
  // @ts-expect-error -- the type is the v1alpha2 kind
  apiVersion: "serving.kserve.io/v1alpha3",
  kind: "LLMInferenceService",
  metadata,
};

export const unnamed: LLMInferenceService = {
  apiVersion: "serving.kserve.io/v1alpha2",
  kind: "LLMInferenceService",
  // @ts-expect-error -- the builders always name their objects
  metadata: { namespace: "llm-models" },
};

export const misspeltPodMonitorField: PodMonitor = {
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PodMonitor",
  metadata,
  spec: {
    selector: {},
    // @ts-expect-error -- `podMetricEndpoints` is not a field (`podMetricsEndpoints` is)
    podMetricEndpoints: [{ portNumber: 8000 }],
  },
};

export const wrongListenerPort: Gateway = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "Gateway",
  metadata,
  spec: {
    gatewayClassName: "llm-platform-envoy",
    // @ts-expect-error -- a listener's port is a number
    listeners: [{ name: "http", port: "80", protocol: "HTTP" }],
  },
};

/** customObject takes only kinds with generated types, not any object with apiVersion and kind. */
export function registersOnlyGeneratedKinds(): void {
  // @ts-expect-error -- no CRD types a Widget
  customObject("w", { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { size: 1 } }, {});
  // @ts-expect-error -- a generated kind with a field its CRD does not have
  customObject("p", { apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", metadata, spec: { selector: {}, podMetricEndpoints: [] } }, {});
}
