import { ParsedAutoscaling, ScalingSignal, scalingSignals } from "../config/autoscaling";
import { modelScaledObject, ScaledObject } from "./scaled-object";

// From a validated model's `autoscaling` section to its ScaledObject and the line `plan` prints.

/** What of a resolved model the scaler needs. */
export interface ScaledModel {
  readonly name: string;
  readonly servedModelName: string;
  readonly multiNode: boolean;
  readonly disaggregation?: unknown;
  readonly autoscaling?: ParsedAutoscaling;
}

/** The model's ScaledObject, or undefined when it runs fixed replicas. */
export function modelScaler(model: ScaledModel, options: { namespace: string; prometheusUrl: string; labels?: Record<string, string> }): ScaledObject | undefined {
  const a = model.autoscaling;
  if (a === undefined) {
    return undefined;
  }
  return modelScaledObject({
    model: model.name,
    servedModelName: model.servedModelName,
    namespace: options.namespace,
    multiNode: model.multiNode,
    disaggregated: model.disaggregation !== undefined,
    minReplicas: a.minReplicas,
    maxReplicas: a.maxReplicas,
    signals: scalingSignals(a),
    pollingIntervalSeconds: a.pollingIntervalSeconds,
    scaleUpStabilizationSeconds: a.scaleUpStabilizationSeconds,
    scaleDownStabilizationSeconds: a.scaleDownStabilizationSeconds,
    prometheusUrl: options.prometheusUrl,
    labels: options.labels,
  });
}

const SIGNAL_WORDS: Readonly<Record<ScalingSignal["kind"], (target: number) => string>> = {
  waitingRequests: (t) => `waiting requests ${t}/replica`,
  kvCacheUtilization: (t) => `KV cache ${Math.round(t * 100)}%/replica`,
};

/** How a model's replica count is set, for the plan: bounds and signals, or the fixed count. */
export interface ScalingSummary {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** "fixed", or the signals with their targets. */
  readonly signal: string;
  readonly scaleDownAfterSeconds?: number;
}

export function scalingSummary(model: { readonly replicas: number; readonly autoscaling?: ParsedAutoscaling }): ScalingSummary {
  const a = model.autoscaling;
  if (a === undefined) {
    return { minReplicas: model.replicas, maxReplicas: model.replicas, signal: "fixed" };
  }
  return {
    minReplicas: a.minReplicas,
    maxReplicas: a.maxReplicas,
    signal: scalingSignals(a)
      .map((s) => SIGNAL_WORDS[s.kind](s.target))
      .join(", "),
    scaleDownAfterSeconds: a.scaleDownStabilizationSeconds,
  };
}
