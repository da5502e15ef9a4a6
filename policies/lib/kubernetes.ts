// Views of Kubernetes objects as CrossGuard sees them: the inputs of `kubernetes:<group>/<version>:<Kind>`
// resources (or the objects inside a `kubernetes:yaml` ConfigGroup). Pure functions over plain JSON.
import { parseAllDocuments } from "yaml";

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

/** `Kind` of a `kubernetes:<group>/<version>:<Kind>` type. */
export function kindOf(type: string): string {
  return type.split(":").pop() ?? "";
}

/** API group of a Kubernetes type (`core` for the core group), without the version. */
export function groupOf(type: string): string {
  return (type.split(":")[1] ?? "").split("/")[0];
}

/** Whether a type is `group/<any version>:Kind`: users write every served version, not only the newest. */
export function isKind(type: string, group: string, kind: string): boolean {
  return type.startsWith("kubernetes:") && groupOf(type) === group && kindOf(type) === kind;
}

export function isLlmInferenceService(type: string): boolean {
  return isKind(type, "serving.kserve.io", "LLMInferenceService");
}

/** One Kubernetes object: a resource's own inputs, or one object of a ConfigGroup. */
export interface K8sObject {
  readonly type: string;
  readonly props: Json;
}

const CONFIG_GROUPS = ["kubernetes:yaml/v2:ConfigGroup", "kubernetes:yaml:ConfigGroup"];

/**
 * The Kubernetes objects a resource declares: itself, or for a ConfigGroup every object given inline
 * (`objs`, `yaml`), so manifests pasted into a program are judged like typed resources.
 */
export function k8sObjects(type: string, props: Json): K8sObject[] {
  if (!CONFIG_GROUPS.includes(type)) {
    return type.startsWith("kubernetes:") ? [{ type, props }] : [];
  }
  const docs: Json[] = [...((Array.isArray(props?.objs) ? props.objs : props?.objs ? [props.objs] : []) as Json[])];
  for (const text of (Array.isArray(props?.yaml) ? props.yaml : props?.yaml ? [props.yaml] : []) as unknown[]) {
    if (typeof text === "string") {
      docs.push(...parseAllDocuments(text).map((d) => d.toJSON()));
    }
  }
  return docs
    .filter((d) => d && typeof d === "object" && typeof d.kind === "string" && typeof d.apiVersion === "string")
    .map((d) => ({ type: `kubernetes:${String(d.apiVersion).includes("/") ? d.apiVersion : `core/${d.apiVersion}`}:${d.kind}`, props: d }));
}

/** A pod template found inside a workload, with where it sits and whether it serves a model. */
export interface PodTemplateView {
  readonly path: string;
  readonly spec: Json;
  /** True for the pods of an LLMInferenceService (main, worker, prefill). */
  readonly serving: boolean;
}

/** Every pod spec a Kubernetes workload (or LLMInferenceService) carries, whatever its API version. */
export function podSpecs(type: string, props: Json): PodTemplateView[] {
  const kind = kindOf(type);
  const views: PodTemplateView[] = [];
  const add = (path: string, podSpec: Json, serving = false) => {
    if (podSpec && typeof podSpec === "object") {
      views.push({ path, spec: podSpec, serving });
    }
  };
  if (kind === "PodTemplate") {
    add("template.spec", props?.template?.spec);
    return views;
  }
  const spec = props?.spec;
  if (spec === undefined || spec === null) {
    return [];
  }
  if (isLlmInferenceService(type)) {
    add("spec.template", spec.template, true);
    add("spec.worker", spec.worker, true);
    add("spec.prefill.template", spec.prefill?.template, true);
    add("spec.prefill.worker", spec.prefill?.worker, true);
    return views;
  }
  if (kind === "LeaderWorkerSet") {
    add("spec.leaderWorkerTemplate.leaderTemplate.spec", spec.leaderWorkerTemplate?.leaderTemplate?.spec);
    add("spec.leaderWorkerTemplate.workerTemplate.spec", spec.leaderWorkerTemplate?.workerTemplate?.spec);
    return views;
  }
  if (kind === "Pod") {
    add("spec", spec);
  } else if (kind === "CronJob") {
    add("spec.jobTemplate.spec.template.spec", spec.jobTemplate?.spec?.template?.spec);
  } else if (spec.template?.spec?.containers) {
    // Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, ReplicationController and the CRDs
    // built the same way (Argo Rollouts, ...).
    add("spec.template.spec", spec.template.spec);
  }
  return views;
}

/** StatefulSet volumeClaimTemplates: claims the pods mount by template name. */
export function claimTemplatesOf(type: string, props: Json): Json[] {
  return kindOf(type) === "StatefulSet" ? ((props?.spec?.volumeClaimTemplates ?? []) as Json[]) : [];
}

export function containersOf(podSpec: Json): { name: string; container: Json; init: boolean }[] {
  return [
    ...((podSpec?.initContainers ?? []) as Json[]).map((c) => ({ name: String(c?.name), container: c, init: true })),
    ...((podSpec?.containers ?? []) as Json[]).map((c) => ({ name: String(c?.name), container: c, init: false })),
    ...((podSpec?.ephemeralContainers ?? []) as Json[]).map((c) => ({ name: String(c?.name), container: c, init: true })),
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

/** Whether a toleration has no key and operator Exists: it tolerates every taint on every node. */
export function isBlanketToleration(t: Json): boolean {
  return t?.operator === "Exists" && (t.key === undefined || t.key === "");
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

/**
 * Node labels every node a pod may land on must carry, with the values allowed: from nodeSelector
 * and from required node affinity (a label counts only when every term requires it).
 */
export function requiredNodeLabels(podSpec: Json): Record<string, string> {
  const labels: Record<string, string> = { ...(podSpec?.nodeSelector ?? {}) };
  const terms = (podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) as Json[];
  const perTerm = terms.map((term) => {
    const found: Record<string, string> = {};
    for (const e of (term?.matchExpressions ?? []) as Json[]) {
      if (e?.operator === "In" && Array.isArray(e.values) && e.values.length > 0) {
        found[String(e.key)] = e.values.map(String).join(",");
      } else if (e?.operator === "Exists") {
        found[String(e.key)] = "";
      }
    }
    return found;
  });
  if (perTerm.length > 0) {
    for (const [key, value] of Object.entries(perTerm[0])) {
      if (perTerm.every((t) => key in t)) {
        labels[key] ??= value;
      }
    }
  }
  return labels;
}

export function volumesOf(podSpec: Json): Json[] {
  return (podSpec?.volumes ?? []) as Json[];
}

/** Every container image of a pod spec. */
export function imagesOf(podSpec: Json): { name: string; image: unknown }[] {
  return containersOf(podSpec).map(({ name, container }) => ({ name, image: container?.image }));
}

const MODEL_SERVER = /vllm|text-generation-inference|\btgi\b|sglang|ollama|llama\.cpp|llama-cpp|llama-server|tritonserver|lmdeploy|huggingfaceserver|tensorrt-llm|trtllm|ray-llm|localai|aphrodite|mlserver/i;

/**
 * Pods that serve models: LLMInferenceService pods, anything that asks for GPUs, and CPU model
 * servers recognised by their image, command or a mount of the KServe model path.
 */
export function isModelServer(view: PodTemplateView): boolean {
  if (view.serving || requestsGpus(view.spec)) {
    return true;
  }
  return containersOf(view.spec).some(({ container, init }) => {
    if (init) {
      return false;
    }
    const text = [container?.image, ...((container?.command ?? []) as unknown[]), ...((container?.args ?? []) as unknown[])].map(String).join(" ");
    const mountsModels = ((container?.volumeMounts ?? []) as Json[]).some((m) => /^\/(mnt\/)?models(\/|$)/.test(String(m?.mountPath)));
    return MODEL_SERVER.test(text) || mountsModels;
  });
}

/** Names the object as `Kind namespace/name` for messages. */
export function objectName(type: string, props: Json, fallback: string): string {
  const kind = type.split(":").pop();
  const ns = props?.metadata?.namespace;
  const name = props?.metadata?.name ?? fallback;
  return `${kind} ${ns ? `${ns}/` : ""}${name}`;
}
