// Views of Kubernetes objects as CrossGuard sees them: the inputs of `kubernetes:<group>/<version>:<Kind>`
// resources. Pure functions over plain JSON.

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects arrive as untyped JSON. */
export type Json = any;
/* eslint-enable @typescript-eslint/no-explicit-any */

export const LLM_INFERENCE_SERVICE = "kubernetes:serving.kserve.io/v1alpha2:LLMInferenceService";
export const LLM_INFERENCE_SERVICE_V1ALPHA1 = "kubernetes:serving.kserve.io/v1alpha1:LLMInferenceService";
export const INFERENCE_POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool";
export const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
export const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
export const PERSISTENT_VOLUME = "kubernetes:core/v1:PersistentVolume";
export const PERSISTENT_VOLUME_CLAIM = "kubernetes:core/v1:PersistentVolumeClaim";
export const STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass";

export const GPU_RESOURCE = "nvidia.com/gpu";

/** A pod template found inside a workload, with where it sits and whether it serves a model. */
export interface PodTemplateView {
  readonly path: string;
  readonly spec: Json;
  /** True for the pods of an LLMInferenceService (main, worker, prefill). */
  readonly serving: boolean;
}

/** Every pod spec a Kubernetes workload (or LLMInferenceService) carries. */
export function podSpecs(type: string, props: Json): PodTemplateView[] {
  const spec = props?.spec;
  if (spec === undefined || spec === null) {
    return [];
  }
  const kind = type.split(":").pop();
  const group = type.split(":")[1] ?? "";
  const views: PodTemplateView[] = [];
  const add = (path: string, podSpec: Json, serving = false) => {
    if (podSpec && typeof podSpec === "object") {
      views.push({ path, spec: podSpec, serving });
    }
  };
  if (group.startsWith("serving.kserve.io/") && kind === "LLMInferenceService") {
    add("spec.template", spec.template, true);
    add("spec.worker", spec.worker, true);
    add("spec.prefill.template", spec.prefill?.template, true);
    add("spec.prefill.worker", spec.prefill?.worker, true);
    return views;
  }
  if (group.startsWith("leaderworkerset.x-k8s.io/") && kind === "LeaderWorkerSet") {
    add("spec.leaderWorkerTemplate.leaderTemplate.spec", spec.leaderWorkerTemplate?.leaderTemplate?.spec);
    add("spec.leaderWorkerTemplate.workerTemplate.spec", spec.leaderWorkerTemplate?.workerTemplate?.spec);
    return views;
  }
  switch (kind) {
    case "Pod":
      add("spec", spec);
      break;
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job":
      add("spec.template.spec", spec.template?.spec);
      break;
    case "CronJob":
      add("spec.jobTemplate.spec.template.spec", spec.jobTemplate?.spec?.template?.spec);
      break;
  }
  return views;
}

export function containersOf(podSpec: Json): { name: string; container: Json; init: boolean }[] {
  return [
    ...((podSpec?.initContainers ?? []) as Json[]).map((c) => ({ name: String(c?.name), container: c, init: true })),
    ...((podSpec?.containers ?? []) as Json[]).map((c) => ({ name: String(c?.name), container: c, init: false })),
  ];
}

/** GPUs a container asks for, as limits and requests (undefined when absent). */
export function gpuResources(container: Json): { limit?: unknown; request?: unknown } {
  return { limit: container?.resources?.limits?.[GPU_RESOURCE], request: container?.resources?.requests?.[GPU_RESOURCE] };
}

export function requestsGpus(podSpec: Json): boolean {
  return containersOf(podSpec).some(({ container }) => {
    const { limit, request } = gpuResources(container);
    return (limit !== undefined && Number(limit) !== 0) || (request !== undefined && Number(request) !== 0);
  });
}

/** Parses a GPU quantity: only whole, non-negative integers are valid. */
export function wholeGpus(quantity: unknown): number | undefined {
  const text = String(quantity);
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Whether a pod tolerates a taint (key, value, effect), following Kubernetes' matching rules. */
export function tolerates(podSpec: Json, taint: { key: string; value?: string; effect: string }): boolean {
  return ((podSpec?.tolerations ?? []) as Json[]).some((t) => {
    const effectOk = t?.effect === undefined || t.effect === "" || t.effect === taint.effect;
    if (!effectOk) {
      return false;
    }
    if (t?.operator === "Exists") {
      return t.key === undefined || t.key === "" || t.key === taint.key;
    }
    return t?.key === taint.key && (t?.value ?? "") === (taint.value ?? "");
  });
}

/** Node labels a pod requires through nodeSelector or required node affinity (In with one value). */
export function requiredNodeLabels(podSpec: Json): Record<string, string> {
  const labels: Record<string, string> = { ...(podSpec?.nodeSelector ?? {}) };
  const terms = (podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) as Json[];
  if (terms.length === 1) {
    for (const e of (terms[0]?.matchExpressions ?? []) as Json[]) {
      if (e?.operator === "In" && Array.isArray(e.values) && e.values.length === 1) {
        labels[String(e.key)] = String(e.values[0]);
      }
    }
  }
  return labels;
}

export function volumesOf(podSpec: Json): Json[] {
  return (podSpec?.volumes ?? []) as Json[];
}

/** Names the object as `Kind namespace/name` for messages. */
export function objectName(type: string, props: Json, fallback: string): string {
  const kind = type.split(":").pop();
  const ns = props?.metadata?.namespace;
  const name = props?.metadata?.name ?? fallback;
  return `${kind} ${ns ? `${ns}/` : ""}${name}`;
}
