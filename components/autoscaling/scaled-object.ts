import type { ScalingSignal } from "../config/autoscaling";

// Model autoscaling on LLM load: one KEDA ScaledObject per autoscaled model, on the Deployment (or
// LeaderWorkerSet) KServe runs its replicas in, with one Prometheus trigger per load signal.
//
// Why KEDA ScaledObjects of the platform's own rather than KServe v0.20.0's `spec.scaling`: read
// in kserve/kserve v0.20.0 pkg/controller/v1alpha2/llmisvc/scaling.go, `spec.scaling` always goes
// through the Workload Variant Autoscaler (`scaling.wva` is required by a CEL rule): KServe creates
// a VariantAutoscaling object (its CRD and the WVA controller must be installed, a missing CRD
// blocks the whole reconcile) plus an HPA or a ScaledObject that only relays the WVA's
// `wva_desired_replicas` metric, so no LLM signal reaches the scaler unless the WVA runs, and the
// `keda` actuator also needs `autoscaling-wva-controller-config` in inferenceservice-config. The
// platform installs neither. What KServe v0.20.0 does support for an outside scaler: when
// `spec.replicas` is unset, its Deployment and LeaderWorkerSet reconcilers keep the live replica
// count (workload.go PreserveDeploymentReplicas / PreserveLWSReplicas, "allows external
// controllers (like HPA) to manage replicas"), so a ScaledObject on the workload is not fought.
// The LLMInferenceService CRD has no scale subresource (only status), so the target is the
// workload KServe names `<name>-kserve` (Deployment) or `<name>-kserve-mn` (LeaderWorkerSet,
// whose CRD has one). KEDA v2.20.2 (chart in ../shared/charts/keda) queries Prometheus itself,
// without an adapter, and creates the HPA.
//
// Each trigger's query sums one vLLM gauge over the model's replicas, and is an AverageValue
// target: the HPA computes replicas = ceil(sum / target), i.e. the count at which each replica
// carries the target. Metric names are vLLM's (`vllm:num_requests_waiting`,
// `vllm:kv_cache_usage_perc`, labels model_name and engine), the ones the llm-d router v0.10.0
// itself reads (pkg/epp/server/options.go); model_name is the served model name.

/** Label KEDA and the platform put on what belongs to one model's scaler. */
const MODEL_LABEL = "llm-platform.io/model";

/** The fields of KEDA v2.20.2's ScaledObject (keda.sh/v1alpha1, CRD in the keda chart's templates/crds) the platform sets. */
export interface ScaledObject {
  readonly apiVersion: "keda.sh/v1alpha1";
  readonly kind: "ScaledObject";
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Record<string, string> };
  readonly spec: {
    readonly scaleTargetRef: { readonly apiVersion: string; readonly kind: string; readonly name: string };
    readonly pollingInterval: number;
    readonly minReplicaCount: number;
    readonly maxReplicaCount: number;
    readonly fallback: { readonly failureThreshold: number; readonly replicas: number; readonly behavior: "currentReplicas" };
    readonly advanced: {
      readonly horizontalPodAutoscalerConfig: {
        readonly name: string;
        readonly behavior: {
          readonly scaleUp: { readonly stabilizationWindowSeconds: number };
          readonly scaleDown: { readonly stabilizationWindowSeconds: number };
        };
      };
    };
    readonly triggers: readonly PrometheusTrigger[];
  };
}

/** A Prometheus trigger (KEDA v2.20.2 pkg/scalers/prometheus_scaler.go metadata keys). */
export interface PrometheusTrigger {
  readonly type: "prometheus";
  readonly name: string;
  readonly metricType: "AverageValue";
  readonly metadata: {
    readonly serverAddress: string;
    readonly query: string;
    readonly threshold: string;
    /** "false": a missing series is an error, so the fallback holds replicas instead of reading 0. */
    readonly ignoreNullValues: "false";
  };
}

export interface ScaledObjectOptions {
  /** Model service name (the LLMInferenceService's). */
  readonly model: string;
  /** Name clients send; vLLM's model_name label. */
  readonly servedModelName: string;
  readonly namespace: string;
  /** Whether replicas span nodes (KServe runs them as a LeaderWorkerSet). */
  readonly multiNode: boolean;
  /** Whether prefill runs in its own workload, whose pods report the same model_name. */
  readonly disaggregated: boolean;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly signals: readonly ScalingSignal[];
  readonly pollingIntervalSeconds: number;
  readonly scaleUpStabilizationSeconds: number;
  readonly scaleDownStabilizationSeconds: number;
  /** Base URL of the Prometheus HTTP API the scaler queries (without /api/v1). */
  readonly prometheusUrl: string;
  readonly labels?: Record<string, string>;
}

/** vLLM gauge behind each signal. */
export const SIGNAL_METRICS: Readonly<Record<ScalingSignal["kind"], string>> = {
  waitingRequests: "vllm:num_requests_waiting",
  kvCacheUtilization: "vllm:kv_cache_usage_perc",
};

/** Trigger names, which KEDA turns into the HPA's external metric names. */
const TRIGGER_NAMES: Readonly<Record<ScalingSignal["kind"], string>> = {
  waitingRequests: "waiting-requests",
  kvCacheUtilization: "kv-cache-utilization",
};

/** The workload KServe v0.20.0 runs a model's (decode) replicas in: scaling.go mainScaleTargetRef. */
export function scaleTarget(model: string, multiNode: boolean): ScaledObject["spec"]["scaleTargetRef"] {
  return multiNode
    ? { apiVersion: "leaderworkerset.x-k8s.io/v1", kind: "LeaderWorkerSet", name: `${model}-kserve-mn` }
    : { apiVersion: "apps/v1", kind: "Deployment", name: `${model}-kserve` };
}

/** PromQL string literal: backslashes and double quotes escaped. */
function quoted(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * The PromQL a signal's trigger sends: the gauge summed over the model's serving pods in its
 * namespace. Prefill pods of a disaggregated model (`<model>-kserve-prefill-…`, or the
 * `-kserve-mn-prefill` LeaderWorkerSet's) report the same model_name and are left out: their
 * queue is not what decode replicas relieve.
 */
export function signalQuery(signal: ScalingSignal["kind"], options: Pick<ScaledObjectOptions, "model" | "servedModelName" | "namespace" | "disaggregated">): string {
  const selectors = [`namespace=${quoted(options.namespace)}`, `model_name=${quoted(options.servedModelName)}`];
  if (options.disaggregated) {
    selectors.push(`pod!~${quoted(`${options.model}-kserve-(mn-)?prefill-.*`)}`);
  }
  return `sum(${SIGNAL_METRICS[signal]}{${selectors.join(",")}})`;
}

/** A target as KEDA's threshold string: plain decimal, no exponent. */
function threshold(target: number): string {
  return Number.isInteger(target) ? String(target) : target.toFixed(6).replace(/0+$/, "");
}

/** Name of a model's ScaledObject (KEDA names the HPA `keda-hpa-<this>` unless told; the platform names it). */
export function scaledObjectName(model: string): string {
  return `${model}-scaler`;
}

/** The ScaledObject scaling one model's serving workload on its load signals. */
export function modelScaledObject(options: ScaledObjectOptions): ScaledObject {
  if (options.signals.length === 0) {
    throw new Error(`model ${options.model}: autoscaling needs at least one signal`);
  }
  if (options.minReplicas < 1 || options.minReplicas > options.maxReplicas) {
    throw new Error(`model ${options.model}: replica bounds ${options.minReplicas}..${options.maxReplicas} are not 1 <= min <= max`);
  }
  const name = scaledObjectName(options.model);
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name, namespace: options.namespace, labels: { ...(options.labels ?? {}), [MODEL_LABEL]: options.model } },
    spec: {
      scaleTargetRef: scaleTarget(options.model, options.multiNode),
      pollingInterval: options.pollingIntervalSeconds,
      // No cooldownPeriod/initialCooldownPeriod: KEDA v2.20.2 applies them only to scaling to zero
      // or idleReplicaCount (scale_scaledobjects.go scaleToZeroOrIdle), which the platform refuses;
      // between min and max the HPA's stabilization windows below decide.
      minReplicaCount: options.minReplicas,
      maxReplicaCount: options.maxReplicas,
      // Prometheus unreachable or the series gone for three polls: keep the replicas there are
      // rather than reading 0 and shedding capacity blind.
      fallback: { failureThreshold: 3, replicas: options.minReplicas, behavior: "currentReplicas" },
      advanced: {
        horizontalPodAutoscalerConfig: {
          name: `${options.model}-hpa`,
          behavior: {
            scaleUp: { stabilizationWindowSeconds: options.scaleUpStabilizationSeconds },
            scaleDown: { stabilizationWindowSeconds: options.scaleDownStabilizationSeconds },
          },
        },
      },
      triggers: options.signals.map((s) => ({
        type: "prometheus",
        name: TRIGGER_NAMES[s.kind],
        metricType: "AverageValue",
        metadata: {
          serverAddress: options.prometheusUrl,
          query: signalQuery(s.kind, options),
          threshold: threshold(s.target),
          ignoreNullValues: "false",
        },
      })),
    },
  };
}
