import type { IContainer } from "kubernetes-models/v1/Container";
import type { ILifecycle } from "kubernetes-models/v1/Lifecycle";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import type { GpuPoolDescriptor } from "../cluster/pool-descriptor";
import type { ResolvedModel } from "../config";
import type { LLMInferenceService } from "../generated/crds/serving.kserve.io/v1alpha2/LLMInferenceService";
import { endpointPickerConfig, PYTHON_HASH_SEED } from "./epp-config";
import { simulatorArgs, VLLM_PORT, vllmArgs } from "./vllm-args";
import { images, imageRef } from "../versions";
import { CacheSettings, nvmeServingParts, streamingCommand } from "../cache/workloads";
import { weightBytes } from "../sizing";

// The KServe LLMInferenceService (serving.kserve.io/v1alpha2, KServe v0.20) of one model. KServe's
// presets supply the vLLM command, probes and routes; this spec overlays the `main` container by
// name (strategic merge, pkg/controller/v1alpha2/llmisvc/config_merge.go) and sets what the
// platform decides: resources, placement, security, routing.

/** The spec of an LLMInferenceService (serving.kserve.io/v1alpha2), as the CRD types it. */
export type LlmInferenceServiceSpec = NonNullable<LLMInferenceService["spec"]>;
/** Its router: gateway, managed route and scheduler. */
export type LlmInferenceServiceRouter = NonNullable<LlmInferenceServiceSpec["router"]>;
/** One rule of the HTTPRoute spec a service's router carries (KServe's managed route). */
export type ManagedRouteRule = NonNullable<NonNullable<NonNullable<NonNullable<LlmInferenceServiceRouter["route"]>["http"]>["spec"]>["rules"]>[number];

export interface LlmInferenceServiceOptions {
  readonly model: ResolvedModel;
  /** The GPU pool; undefined for simulator models. */
  readonly pool?: GpuPoolDescriptor;
  readonly namespace: string;
  readonly gateway: { readonly name: string; readonly namespace: string };
  /** InferencePool the llm-d router release creates (llm-d and precise routing). */
  readonly poolName: string;
  /**
   * Estimated seconds to get the weights onto the node. Only streaming (`cacheMode: stream`) reads
   * them while vLLM starts; a restore or KServe's download runs in an init container, before probes.
   */
  readonly restoreSeconds: number;
  readonly labels: Record<string, string>;
  /** The model cache, when it provides this model's weights. */
  readonly cache?: { readonly settings: CacheSettings; readonly serviceAccount: string };
  /** Whether the shared Gateway is GKE's, which rejects routes that set `timeouts`. Default: false. */
  readonly gke?: boolean;
}

/** Probe period of KServe's preset startup probe. */
const PROBE_PERIOD_SECONDS = 10;
/**
 * What KServe's preset allows vLLM to start: failureThreshold 60 × periodSeconds 10
 * (config/llmisvcconfig/config-llm-template.yaml, v0.20). The service's probe merges over it field by
 * field (strategic merge), so the platform's failureThreshold is the one that counts: never less.
 */
export const PRESET_STARTUP_SECONDS = 600;
/**
 * GB/s at which vLLM reads safetensors from the node's local disk (NVMe array or the emptyDir KServe
 * downloads into) onto the GPUs, all ranks together, cold page cache: a deliberately low figure so
 * a slow disk still fits.
 */
export const LOCAL_LOAD_GB_PER_SECOND = 1;
/** torch.compile and CUDA-graph capture on a cold start (no compile cache); ranks compile in parallel. */
export const COMPILE_SECONDS = 300;
/** Worker process start and NCCL communicator setup, per tensor-parallel rank. */
export const RANK_INIT_SECONDS = 15;

export interface StartupBudgetInput {
  /** Bytes of the checkpoint vLLM reads (on-the-fly quantization reads the published precision). */
  readonly weightBytes: number;
  readonly tensorParallel: number;
  /** Seconds to stream the weights from the store when vLLM reads them from there; otherwise from local disk. */
  readonly streamSeconds?: number;
}

/**
 * Seconds vLLM may take to answer /health: loading the weights (local disk at LOCAL_LOAD_GB_PER_SECOND,
 * or the streaming estimate), rank setup per tensor-parallel rank, and compilation. A restore runs in
 * an init container before any probe starts, so it is not part of the budget. Never below the preset's.
 */
export function startupBudgetSeconds(input: StartupBudgetInput): number {
  const load = input.streamSeconds ?? input.weightBytes / 1e9 / LOCAL_LOAD_GB_PER_SECOND;
  return Math.max(PRESET_STARTUP_SECONDS, Math.ceil(load + RANK_INIT_SECONDS * input.tensorParallel + COMPILE_SECONDS));
}

/** Startup-probe failure threshold for a budget, at the preset's probe period. */
export function startupFailureThreshold(budgetSeconds: number): number {
  return Math.ceil(budgetSeconds / PROBE_PERIOD_SECONDS);
}

/** The startup budget of a model's vLLM containers (the simulator loads nothing: the preset's budget). */
export function modelStartupBudgetSeconds(model: ResolvedModel, restoreSeconds: number): number {
  if (model.simulator) {
    return PRESET_STARTUP_SECONDS;
  }
  return startupBudgetSeconds({
    weightBytes: weightBytes(model.architecture, model.architecture.dtype),
    tensorParallel: model.tensorParallel,
    streamSeconds: model.cacheMode === "stream" ? restoreSeconds : undefined,
  });
}

/** /dev/shm for NCCL between tensor-parallel ranks; the preset's 1Gi is for TP=1. */
export function sharedMemorySize(tensorParallel: number): string {
  return tensorParallel > 1 ? `${Math.min(8 * tensorParallel, 64)}Gi` : "1Gi";
}

/** Writable directories vLLM, Triton and Hugging Face libraries expect when running as non-root. */
const WRITABLE_DIRS = [
  { name: "cache-dir", mountPath: "/.cache" },
  { name: "triton-dir", mountPath: "/.triton" },
  { name: "config-dir", mountPath: "/.config" },
];

/** The simulator's binary: the only executable in its distroless image (llm-d-inference-sim v0.10.2 Dockerfile). */
const SIMULATOR_BINARY = "/app/llm-d-inference-sim";

/**
 * The simulator's preStop hook. KServe's preset gives `main` a preStop `exec` of `/bin/sleep 15`,
 * which gcr.io/distroless/static has no way to run. A kubelet-run handler (`sleep`, `httpGet`) cannot
 * replace it: KServe merges the service over the preset by strategic merge, which keeps the preset's
 * `exec` beside any other handler, and the API server refuses a hook with two. Only the exec command
 * (a list, replaced whole) can be overridden, so the hook runs the binary's `--help`, which exits 0
 * at once (pkg/common/parser.go): no drain delay, which a simulator does not need, and no failed hook.
 */
/**
 * How long a model pod has to finish in-flight generations once told to stop: the preset's preStop
 * drain, then vLLM's shutdown. Node removal (Karpenter's terminationGracePeriod) leaves it this much.
 */
export const MODEL_TERMINATION_GRACE_SECONDS = 120;

export const SIMULATOR_PRESTOP: ILifecycle = { preStop: { exec: { command: [SIMULATOR_BINARY, "--help"] } } };

const CONTAINER_SECURITY: NonNullable<IContainer["securityContext"]> = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
};

function podSpec(options: LlmInferenceServiceOptions, gpus: number, args: string[]): IPodSpec {
  const { model, pool } = options;
  const env: NonNullable<IContainer["env"]> = [
    ...(model.routing === "precise"
      ? [
          { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: "PYTHONHASHSEED", value: PYTHON_HASH_SEED },
        ]
      : []),
  ];
  const resources: IResourceRequirements = model.simulator
    ? { requests: { cpu: "200m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } }
    : { requests: { "nvidia.com/gpu": String(gpus) }, limits: { "nvidia.com/gpu": String(gpus) } };
  const volumeMounts: IVolumeMount[] = [...WRITABLE_DIRS.map((d) => ({ name: d.name, mountPath: d.mountPath })), { name: "dshm", mountPath: "/dev/shm" }];
  const container: IContainer = {
    name: "main",
    ...(model.simulator ? { image: imageRef(images.inferenceSimulator), command: [SIMULATOR_BINARY], lifecycle: SIMULATOR_PRESTOP } : {}),
    args,
    ...(env.length > 0 ? { env } : {}),
    resources,
    securityContext: model.simulator ? { ...CONTAINER_SECURITY, runAsUser: 65532, runAsGroup: 65532 } : CONTAINER_SECURITY,
    startupProbe: {
      httpGet: { path: "/health", port: VLLM_PORT },
      periodSeconds: PROBE_PERIOD_SECONDS,
      failureThreshold: startupFailureThreshold(modelStartupBudgetSeconds(model, options.restoreSeconds)),
    },
    volumeMounts,
  };
  const volumes: IVolume[] = [
    ...WRITABLE_DIRS.map((d) => ({ name: d.name, emptyDir: {} })),
    { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: sharedMemorySize(model.tensorParallel) } },
  ];
  let initContainers: IContainer[] | undefined;
  const cache = options.cache;
  if (cache !== undefined && model.cacheMode === "nvme" && pool !== undefined) {
    // Weights restored onto the node's NVMe by the init container, mounted read-only where the
    // preset serves from; no PVC, no node affinity beyond the pool.
    const parts = nvmeServingParts(model, pool, cache.settings);
    initContainers = parts.initContainers;
    volumes.push(...parts.volumes);
    volumeMounts.push(...parts.mainVolumeMounts);
  } else if (cache !== undefined && model.cacheMode === "stream") {
    const stream = streamingCommand(model, cache.settings);
    container.command = stream.command;
    container.env = [...(container.env ?? []), ...stream.env];
    if (stream.envFrom) {
      container.envFrom = stream.envFrom;
    }
  }
  return {
    ...(pool ? { nodeSelector: { ...pool.nodeSelector }, tolerations: pool.tolerations.map((t) => ({ ...t })) } : {}),
    ...(cache !== undefined && model.cacheMode !== "off" ? { serviceAccountName: cache.serviceAccount } : {}),
    // In-flight generations finish before the pod goes; the preset's preStop hook drains first.
    terminationGracePeriodSeconds: MODEL_TERMINATION_GRACE_SECONDS,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    ...(initContainers ? { initContainers } : {}),
    containers: [container],
    volumes,
  };
}

/** OpenAI-compatible APIs KServe's route preset (config-llm-router-route, v0.20) sends to the scheduler. */
const OPENAI_APIS = [
  ["v1-completions", "/v1/completions"],
  ["v1-chat-completions", "/v1/chat/completions"],
  ["v1-responses", "/v1/responses"],
  ["v1-messages", "/v1/messages"],
] as const;

/**
 * The managed HTTPRoute's rules for GKE: the path rules of KServe's route preset with concrete names
 * and without `timeouts`, which GKE's Gateway does not implement and rejects the whole route for
 * (kserve/kserve #5311, #5707; v0.20's `disableHTTPRouteTimeout` does not reach LLMInferenceService
 * routes). KServe merges the service's spec over the preset's by strategic merge, and HTTPRoute rules
 * carry no merge key, so these rules replace the preset's rather than merging into them
 * (config_merge.go mergeSpecs); parentRefs still come from `gateway.refs`. The preset's
 * model-routing header rules are left out: KServe strips them unless model-based routing is on.
 */
export function gkeRouteRules(options: { name: string; namespace: string; servedModelName: string; scheduler: { kind: "InferencePool" | "Service"; name: string } }): ManagedRouteRule[] {
  type BackendRef = NonNullable<ManagedRouteRule["backendRefs"]>[number];
  const workload: BackendRef = { kind: "Service", name: `${options.name}-kserve-workload-svc`, port: 8000, weight: 1 };
  const scheduler: BackendRef =
    options.scheduler.kind === "InferencePool"
      ? { group: "inference.networking.k8s.io", kind: "InferencePool", name: options.scheduler.name, port: 8000, weight: 1 }
      : { ...workload, name: options.scheduler.name };
  const rewrite = (prefix: string): ManagedRouteRule["filters"] => [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: prefix } } }];
  const prefixes = [
    ["path", `/${options.namespace}/${options.name}`],
    ["publisher-path", `/publishers/${options.namespace}/models/${options.servedModelName}`],
  ] as const;
  const apiRules = prefixes.flatMap(([suffix, prefix]) =>
    OPENAI_APIS.map(([name, api]): ManagedRouteRule => ({
      name: `${name}-${suffix}`,
      matches: [{ path: { type: "PathPrefix", value: `${prefix}${api}` } }],
      filters: rewrite(api),
      backendRefs: [scheduler],
    })),
  );
  const catchAll = (name: string, prefix: string): ManagedRouteRule => ({ name, matches: [{ path: { type: "PathPrefix", value: prefix } }], filters: rewrite("/"), backendRefs: [workload] });
  return [...apiRules, catchAll("v1-publisher-path-catch-all", prefixes[1][1]), catchAll("v1-catch-all-path", prefixes[0][1])];
}

/** What a model's route sends the OpenAI APIs to: its scheduler's InferencePool, or the workload Service. */
function routeScheduler(options: LlmInferenceServiceOptions): { kind: "InferencePool" | "Service"; name: string } {
  switch (options.model.routing) {
    case "llm-d":
    case "precise":
      return { kind: "InferencePool", name: options.poolName };
    case "kserve":
      // The pool KServe's managed scheduler creates (kmeta.ChildName; model names are short enough not to be hashed).
      return { kind: "InferencePool", name: `${options.model.name}-inference-pool` };
    case "round-robin":
      return { kind: "Service", name: `${options.model.name}-kserve-workload-svc` };
  }
}

function router(options: LlmInferenceServiceOptions): LlmInferenceServiceRouter {
  const { model } = options;
  const route: LlmInferenceServiceRouter["route"] = options.gke
    ? { http: { spec: { rules: gkeRouteRules({ name: model.name, namespace: options.namespace, servedModelName: model.servedModelName, scheduler: routeScheduler(options) }) } } }
    : {};
  const base = { route, gateway: { refs: [{ name: options.gateway.name, namespace: options.gateway.namespace }] } };
  switch (model.routing) {
    case "llm-d":
    case "precise":
      return { ...base, scheduler: { pool: { ref: { name: options.poolName } } } };
    case "kserve":
      return {
        ...base,
        scheduler: {
          replicas: model.routerReplicas,
          config: {
            inline: endpointPickerConfig({
              weights: model.scorerWeights,
              blockSize: model.blockSize,
              disaggregation: model.disaggregation !== undefined,
              flavour: "kserve",
            }),
          },
        },
      };
    case "round-robin":
      return base;
  }
}

/**
 * The model URI KServe sees. When KServe downloads the weights itself (no cache), a Hugging Face
 * revision rides on the URI as `hf://owner/model:revision` (kserve_storage.py, v0.20), so every
 * replica serves the same commit.
 */
export function kserveModelUri(model: ResolvedModel, cached: boolean): string {
  const { uri, revision } = model.source;
  const downloadedByKServe = !model.simulator && (!cached || model.cacheMode === "off");
  return downloadedByKServe && revision !== undefined && uri.startsWith("hf://") ? `${uri}:${revision}` : uri;
}

/** The LLMInferenceService object of one model. */
export function llmInferenceService(options: LlmInferenceServiceOptions): LLMInferenceService {
  const { model, pool } = options;
  const tensorGpus = model.tensorParallel;
  const args = model.simulator ? simulatorArgs(model) : vllmArgs(model);
  const spec: LlmInferenceServiceSpec = {
    model: {
      uri: kserveModelUri(model, options.cache !== undefined),
      name: model.servedModelName,
      ...(model.loraAdapters.length > 0
        ? { lora: { adapters: model.loraAdapters.map((a) => ({ name: a.name, uri: a.uri })), maxAdapters: model.loraAdapters.length } }
        : {}),
    },
    // An autoscaled model leaves replicas unset: KServe v0.20.0 then keeps the count its workload
    // has (workload.go PreserveDeploymentReplicas), which the model's KEDA ScaledObject sets.
    ...(model.autoscaling !== undefined ? {} : { replicas: model.replicas }),
    // The simulator loads nothing; cached models get their weights from the cache instead of KServe's download.
    ...(model.simulator || (options.cache !== undefined && model.cacheMode !== "off") ? { storageInitializer: { enabled: false } } : {}),
  };
  if (model.multiNode && pool !== undefined) {
    // Data parallelism across nodes: each node runs gpusPerNode / TP ranks (worker-data-parallel preset).
    const perNode = pool.gpusPerNode / tensorGpus;
    spec.parallelism = { tensor: tensorGpus, data: model.dataLocal, dataLocal: perNode };
    spec.template = podSpec(options, pool.gpusPerNode, args);
    spec.worker = podSpec(options, pool.gpusPerNode, args);
  } else {
    if (!model.simulator) {
      spec.parallelism = { tensor: tensorGpus };
    }
    spec.template = podSpec(options, model.gpusPerReplica, args);
  }
  if (model.disaggregation !== undefined) {
    const prefillTp = model.disaggregation.prefillTensorParallel ?? model.tensorParallel;
    const prefillModel = { ...model, tensorParallel: prefillTp };
    spec.prefill = {
      replicas: model.disaggregation.prefillReplicas,
      parallelism: { tensor: prefillTp },
      template: podSpec({ ...options, model: prefillModel }, prefillTp * model.dataLocal, vllmArgs(prefillModel)),
    };
  }
  spec.router = router(options);
  return {
    apiVersion: "serving.kserve.io/v1alpha2",
    kind: "LLMInferenceService",
    metadata: {
      name: model.name,
      namespace: options.namespace,
      labels: { ...options.labels, "llm-platform.io/model": model.name, ...(pool ? { "llm-platform.io/pool": pool.name } : {}) },
      annotations: {
        "llm-platform.io/architecture": model.architectureName,
        "llm-platform.io/routing": model.routing,
        ...(model.source.revision ? { "llm-platform.io/revision": model.source.revision } : {}),
      },
    },
    spec,
  };
}
