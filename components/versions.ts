// Every upstream chart, manifest and image the platform installs, pinned in one place with where
// it comes from. Chart versions are the exact strings the registries publish (with their "v").

export interface ChartPin {
  /** Chart name (for OCI charts, the last path segment). */
  readonly chart: string;
  /** Helm repository URL, or the OCI location without the chart name. */
  readonly repository: string;
  readonly version: string;
  /** Namespace the upstream install docs use. */
  readonly namespace: string;
  /** Where the pin and its values were read. */
  readonly source: string;
}

export const charts = {
  certManager: {
    chart: "cert-manager",
    repository: "https://charts.jetstack.io",
    version: "v1.17.4",
    namespace: "cert-manager",
    source: "cert-manager/cert-manager v1.17.4 deploy/charts/cert-manager/values.yaml; KServe v0.20.0 requires 1.17+ (hack/setup/quick-install/llmisvc-full-install-helm.sh)",
  },
  gatewayCrds: {
    chart: "gateway-crds-helm",
    repository: "oci://docker.io/envoyproxy",
    version: "v1.8.1",
    namespace: "envoy-gateway-system",
    source: "envoyproxy/gateway v1.8.1 charts/gateway-crds-helm (Gateway API v1.5.1 standard channel + Envoy Gateway CRDs)",
  },
  envoyGateway: {
    chart: "gateway-helm",
    repository: "oci://docker.io/envoyproxy",
    version: "v1.8.1",
    namespace: "envoy-gateway-system",
    source: "envoyproxy/gateway v1.8.1 charts/gateway-helm/values.tmpl.yaml; AI Gateway values from envoyproxy/ai-gateway v1.0.0 manifests/envoy-gateway-values.yaml",
  },
  aiGatewayCrds: {
    chart: "ai-gateway-crds-helm",
    repository: "oci://docker.io/envoyproxy",
    version: "v1.0.0",
    namespace: "envoy-ai-gateway-system",
    source: "envoyproxy/ai-gateway v1.0.0 manifests/charts/ai-gateway-crds-helm",
  },
  aiGateway: {
    chart: "ai-gateway-helm",
    repository: "oci://docker.io/envoyproxy",
    version: "v1.0.0",
    namespace: "envoy-ai-gateway-system",
    source: "envoyproxy/ai-gateway v1.0.0 manifests/charts/ai-gateway-helm/values.yaml",
  },
  leaderWorkerSet: {
    chart: "lws",
    repository: "oci://registry.k8s.io/lws/charts",
    version: "v0.8.0",
    namespace: "lws-system",
    source: "kubernetes-sigs/lws v0.8.0 charts/lws/values.yaml; OCI tag as pushed by hack/push-chart.sh",
  },
  gpuOperator: {
    chart: "gpu-operator",
    repository: "https://helm.ngc.nvidia.com/nvidia",
    version: "v25.10.1",
    namespace: "gpu-operator",
    source: "NVIDIA/gpu-operator v25.10.1 deployments/gpu-operator/values.yaml",
  },
  kserveLlmisvcCrd: {
    chart: "kserve-llmisvc-crd",
    repository: "oci://ghcr.io/kserve/charts",
    version: "v0.20.0",
    namespace: "kserve",
    source: "kserve/kserve v0.20.0 charts/kserve-llmisvc-crd",
  },
  kserveLlmisvcResources: {
    chart: "kserve-llmisvc-resources",
    repository: "oci://ghcr.io/kserve/charts",
    version: "v0.20.0",
    namespace: "kserve",
    source: "kserve/kserve v0.20.0 charts/kserve-llmisvc-resources/values.yaml",
  },
  kserveRuntimeConfigs: {
    chart: "kserve-runtime-configs",
    repository: "oci://ghcr.io/kserve/charts",
    version: "v0.20.0",
    namespace: "kserve",
    source: "kserve/kserve v0.20.0 charts/kserve-runtime-configs/values.yaml (LLMInferenceServiceConfig presets, namespace kserve)",
  },
  llmdRouter: {
    chart: "llm-d-router-gateway",
    repository: "oci://ghcr.io/llm-d/charts",
    version: "v0.10.0",
    namespace: "",
    source: "llm-d/llm-d-router v0.10.0 config/charts/llm-d-router-gateway and config/charts/routerlib/values.yaml",
  },
  kubePrometheusStack: {
    chart: "kube-prometheus-stack",
    repository: "https://prometheus-community.github.io/helm-charts",
    version: "88.5.3",
    namespace: "monitoring",
    source: "prometheus-community/helm-charts kube-prometheus-stack-88.5.3 charts/kube-prometheus-stack/values.yaml (Prometheus operator v0.93.1)",
  },
  keda: {
    chart: "keda",
    repository: "https://kedacore.github.io/charts",
    version: "2.20.2",
    namespace: "keda",
    source: "kedacore/charts keda 2.20.2 (appVersion 2.20.2) values.yaml and templates/crds; operator built from github.com/kedacore/keda/v2@v2.20.2 in the e2e tier",
  },
  karpenterCrd: {
    chart: "karpenter-crd",
    repository: "oci://public.ecr.aws/karpenter",
    version: "1.14.1",
    namespace: "kube-system",
    source: "aws/karpenter-provider-aws v1.14.1 charts/karpenter-crd (NodePool, NodeClaim, EC2NodeClass, NodeOverlay); installed apart so upgrades update the CRDs (Helm never upgrades a chart's crds/)",
  },
  karpenter: {
    chart: "karpenter",
    repository: "oci://public.ecr.aws/karpenter",
    version: "1.14.1",
    // The namespace of the upstream getting-started guide (KARPENTER_NAMESPACE=kube-system).
    namespace: "kube-system",
    source: "aws/karpenter-provider-aws v1.14.1 charts/karpenter/values.yaml; IAM, queue and rules from website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml at v1.14.1",
  },
} as const satisfies Record<string, ChartPin>;

/** Manifests applied from upstream release assets (no chart exists for them). */
export const manifests = {
  inferenceExtensionCrds: {
    url: "https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/download/v1.5.0/manifests.yaml",
    version: "v1.5.0",
    source: "kubernetes-sigs/gateway-api-inference-extension v1.5.0 release asset (InferencePool inference.networking.k8s.io/v1)",
  },
} as const;

/**
 * A container image the platform runs itself: its tag, and where it was read. Images that run
 * with host access (a hostPath volume, privileged, host namespaces) also carry the digest the tag
 * resolved to, so the node runs those bytes whatever the tag is later pushed to; `digestSource`
 * says where the digest was read. Others name no digest until one can be cited (none was
 * published where it could be read).
 */
export interface ImagePin {
  readonly image: string;
  readonly tag: string;
  readonly source: string;
  readonly digest?: `sha256:${string}`;
  readonly digestSource?: string;
}

/**
 * Container images the platform runs itself (everything else comes from the charts and KServe
 * presets). Host-access images it does not name, so cannot pin here: vLLM in the serving pods,
 * which mount the restored weights read-only by hostPath (ghcr.io/llm-d/llm-d-cuda:v0.8.0 from
 * KServe v0.20.0's presets), the GPU Operator's privileged DaemonSets (chart v25.10.1 values, tags
 * only) and GKE's driver installer (its own manifest pins partition-gpus by digest; the installer
 * image is preloaded on the node). No digest for those tags was published where it could be read.
 */
export const images = {
  endpointPicker: { image: "ghcr.io/llm-d/llm-d-router-endpoint-picker", tag: "v0.10.0", source: "llm-d/llm-d-router v0.10.0 release" },
  inferenceSimulator: { image: "ghcr.io/llm-d/llm-d-inference-sim", tag: "v0.10.2", source: "llm-d/llm-d-inference-sim v0.10.2 Dockerfile (entrypoint /app/llm-d-inference-sim)" },
  // Host access: the restore init containers and pre-warm DaemonSets mount the cache root.
  rclone: {
    image: "docker.io/rclone/rclone",
    tag: "1.68.2",
    source: "rclone v1.68.2 release image (Alpine, busybox sh, flock); runs the cache scripts",
    digest: "sha256:74c51b8817e5431bd6d7ed27cb2a50d8ee78d77f6807b72a41ef6f898845942b",
    digestSource:
      "Docker Hub rclone/rclone:1.68.2 as resolved by Renovate on 2024-11-18 (uhthomas/automata commit b9b62f0b29a36b75ca356a50973580f8fae83bba, k8s/unwind/thomas/synologybackup/job_list.cue); other public repositories pin 1.68.2 to the same digest",
  },
  // Envoy Gateway's rate-limit counters (components/tenants/rate-limit-store.ts).
  redis: {
    image: "docker.io/library/redis",
    tag: "8.2.4-alpine3.22",
    source: "envoyproxy/ai-gateway v1.0.0 examples/token_ratelimit/redis.yaml (the store its token rate limits are documented with)",
  },
  seederDownloader: {
    image: "docker.io/vllm/vllm-openai-cpu",
    tag: "v0.19.1",
    source: "the CPU vLLM image the llm-d router chart v0.10.0 pins for its tokenizer; ships the huggingface_hub `hf` CLI",
  },
} as const satisfies Record<string, ImagePin>;

/**
 * The Karpenter controller image the release runs. The chart as released (1.14.1) still names
 * controller tag 1.13.0 with 1.13.0's digest, and the v1.14.1 docs commit (1d927085) moved the tag to
 * 1.14.1 but kept 1.14.0's digest, which the runtime would pull instead of the tag. No 1.14.1 digest
 * was published where it could be read, so the tag is set and the digest cleared.
 */
export const karpenterControllerImage = {
  image: "public.ecr.aws/karpenter/controller",
  tag: "1.14.1",
  source: "aws/karpenter-provider-aws v1.14.1 (release tag; charts/karpenter/values.yaml on main after commit 1d927085 names tag 1.14.1)",
} as const satisfies ImagePin;

/**
 * The EKS-optimized AL2023 AMI release Karpenter nodes boot (`amiSelectorTerms` alias): the same
 * amazon-eks-ami release whose nodeadm the managed node groups' RAID0 settings are read from.
 * Karpenter picks the NVIDIA variant of the release for GPU instance types.
 */
export const karpenterAmiAlias = {
  alias: "al2023@v20260724",
  source: "amazon-eks-ami v20260724; alias format from aws/karpenter-provider-aws v1.14.1 docs concepts/nodeclasses.md (amiSelectorTerms alias)",
} as const;

/** The image reference a pod names: `<image>:<tag>`, with `@<digest>` when the pin has one (the runtime then pulls by digest). */
export function imageRef(pin: Pick<ImagePin, "image" | "tag" | "digest">): string {
  return `${pin.image}:${pin.tag}${pin.digest === undefined ? "" : `@${pin.digest}`}`;
}

/** Gateway API bundle version the CRD chart installs (for documentation and plan output). */
export const GATEWAY_API_VERSION = "v1.5.1";

/** A managed add-on version pin with where it was read. */
export interface ManagedAddonPin {
  readonly version: string;
  readonly source: string;
}

/**
 * EKS managed add-ons per Kubernetes minor version. A cluster version without an entry here is
 * refused by config validation, so an upgrade is a deliberate edit of this table.
 */
export const eksAddons: Readonly<Record<string, Readonly<Record<"vpc-cni" | "coredns" | "kube-proxy" | "eks-pod-identity-agent", ManagedAddonPin>>>> = {
  "1.33": {
    "vpc-cni": { version: "v1.20.1-eksbuild.3", source: "EKS user guide managing-vpc-cni (latest EKS add-on for 1.33)" },
    coredns: { version: "v1.12.3-eksbuild.1", source: "EKS user guide managing-coredns (latest EKS add-on for 1.33)" },
    "kube-proxy": { version: "v1.33.0-eksbuild.2", source: "aws eks describe-addon-versions --addon-name kube-proxy --kubernetes-version 1.33 (default version)" },
    "eks-pod-identity-agent": { version: "v1.3.8-eksbuild.2", source: "aws eks describe-addon-versions --addon-name eks-pod-identity-agent --kubernetes-version 1.33" },
  },
};

/**
 * Google's COS driver installer, applied on GKE GPU pools created with driver installation
 * disabled (the NVIDIA GPU Operator's "Google driver installer" mode, google-gke.rst v25.10).
 */
export const gkeDriverInstaller = {
  url: "https://raw.githubusercontent.com/GoogleCloudPlatform/container-engine-accelerators/068b15a980977bdaab46eb73e1ac8fba47e41f60/nvidia-driver-installer/cos/daemonset-preloaded.yaml",
  version: "068b15a980977bdaab46eb73e1ac8fba47e41f60",
  source: "GoogleCloudPlatform/container-engine-accelerators nvidia-driver-installer/cos/daemonset-preloaded.yaml at that commit",
} as const;
