import { z } from "zod";
import type { Report } from "./report";

// A model's `autoscaling` section: replica bounds and the load signals KEDA scales on
// (components/autoscaling/ builds the ScaledObject). Its own module so the schema file only
// places it and the checks stay beside the fields they are about.

/** Default per-replica target of vLLM's waiting requests when no signal is named. */
export const DEFAULT_WAITING_TARGET = 4;

const signalsSchema = z
  .strictObject({
    waitingRequests: z
      .strictObject({
        target: z
          .number()
          .gt(0, "must be above 0")
          .max(10_000)
          .describe("Waiting requests per replica to aim for; more waiting adds replicas. Required."),
      })
      .optional()
      .describe("Scale on vLLM's queue, `vllm:num_requests_waiting` summed over the model's replicas."),
    kvCacheUtilization: z
      .strictObject({
        target: z
          .number()
          .gt(0, "must be above 0")
          .max(1, "must be at most 1 (vLLM reports KV-cache use as a fraction)")
          .describe("Average KV-cache use per replica to aim for, as a fraction (0.8 = 80%). Required."),
      })
      .optional()
      .describe("Scale on vLLM's KV-cache use, `vllm:kv_cache_usage_perc` summed over the model's replicas."),
    routerQueue: z
      .strictObject({
        target: z.number().gt(0, "must be above 0").max(10_000).describe("Requests held in the router's queue per replica. Required."),
      })
      .optional()
      .describe(
        "Scale on requests the llm-d router holds in its flow-control queue. Refused with the pinned router v0.10.0: its queue exists only " +
          "behind the `flowControl` feature gate, which the platform's router config leaves off.",
      ),
  })
  .describe(`Load signals; replicas follow the one that asks for most. Default: waitingRequests with target ${DEFAULT_WAITING_TARGET}.`);

export const autoscalingSchema = z
  .strictObject({
    minReplicas: z
      .int()
      .min(0)
      .max(1000)
      .describe("Fewest replicas; at least 1 (scale to zero is refused: nothing holds requests while a GPU replica starts). Required."),
    maxReplicas: z.int().min(1).max(1000).describe("Most replicas; GPU capacity and the GPU budget are checked against it. Required."),
    signals: signalsSchema.optional(),
    pollingIntervalSeconds: z.int().min(5).max(600).default(15).describe("How often KEDA queries Prometheus. Default: 15."),
    scaleDownStabilizationSeconds: z
      .int()
      .min(0)
      .max(3600)
      .default(600)
      .describe("How long load must stay low before replicas are removed (the HPA's scale-down window). Default: 600."),
    scaleUpStabilizationSeconds: z
      .int()
      .min(0)
      .max(3600)
      .default(0)
      .describe("How long load must stay high before replicas are added (the HPA's scale-up window). Default: 0."),
    backend: z
      .enum(["keda", "hpa"])
      .optional()
      .describe("Former switch of KServe's Workload Variant Autoscaler actuator. Only `keda` is accepted (and is what is used). Default: keda."),
  })
  .describe(
    "Replicas follow LLM load through a KEDA ScaledObject on the model's Deployment (the platform installs KEDA); needs a Prometheus " +
      "to query (`monitoring.install` or `monitoring.prometheusUrl`). Not with `replicas`. Default: fixed replicas.",
  );

export type ParsedAutoscaling = z.output<typeof autoscalingSchema>;

/** One load signal with its target, in the order the ScaledObject lists its triggers. */
export interface ScalingSignal {
  readonly kind: "waitingRequests" | "kvCacheUtilization";
  readonly target: number;
}

/** The signals a model scales on: those named, or the default waiting-requests target. */
export function scalingSignals(autoscaling: ParsedAutoscaling): ScalingSignal[] {
  const s = autoscaling.signals;
  const named: ScalingSignal[] = [
    ...(s?.waitingRequests ? [{ kind: "waitingRequests" as const, target: s.waitingRequests.target }] : []),
    ...(s?.kvCacheUtilization ? [{ kind: "kvCacheUtilization" as const, target: s.kvCacheUtilization.target }] : []),
  ];
  return named.length > 0 || s?.routerQueue !== undefined ? named : [{ kind: "waitingRequests", target: DEFAULT_WAITING_TARGET }];
}

/** What the rest of a model's config says that the autoscaling checks need. */
export interface AutoscalingContext {
  readonly replicas?: number;
  /** Whether the platform knows a Prometheus for scalers to query (installed, or monitoring.prometheusUrl). */
  readonly prometheus: boolean;
}

/** Reports every problem of the `autoscaling` section of the model at `modelPath` (`models[i]`). */
export function checkAutoscaling(autoscaling: ParsedAutoscaling, modelPath: string, context: AutoscalingContext, report: Report): void {
  const path = `${modelPath}.autoscaling`;
  if (context.replicas !== undefined) {
    report(`${modelPath}.replicas`, "and autoscaling are mutually exclusive (autoscaling owns the replica count)");
  }
  if (autoscaling.minReplicas === 0) {
    report(
      `${path}.minReplicas`,
      "0 (scale to zero) is refused: with no replica the llm-d router v0.10.0 answers 503 at once (its request queue exists only behind " +
        "the flowControl feature gate, which the platform leaves off), KEDA v2.20's ScaledObject holds no requests, and a GPU replica " +
        "takes minutes to start (node, weight restore, model load); use minReplicas 1",
    );
  }
  if (autoscaling.minReplicas > autoscaling.maxReplicas) {
    report(`${path}.minReplicas`, `${autoscaling.minReplicas} is above maxReplicas ${autoscaling.maxReplicas}`);
  }
  if (autoscaling.signals?.routerQueue !== undefined) {
    report(
      `${path}.signals.routerQueue`,
      "is not available: the llm-d router v0.10.0 queues requests (llm_d_epp_flow_control_queue_size) only with its flowControl feature " +
        "gate, which the platform's router config leaves off, so the metric never exists; scale on waitingRequests (vLLM's queue, which the router's queue scorer reads)",
    );
  }
  if (autoscaling.backend === "hpa") {
    report(
      `${path}.backend`,
      '"hpa" is no longer supported: it drove KServe\'s Workload Variant Autoscaler, which the platform does not install, through a Prometheus adapter it does not install either; autoscaling now renders a KEDA ScaledObject, so remove backend',
    );
  }
  if (!context.prometheus) {
    report(path, "needs a Prometheus to query (KEDA reads vLLM's metrics from it): set monitoring.install, or monitoring.prometheusUrl for one you run");
  }
}
