import { z } from "zod";
import { dtypeBytes } from "../catalog";

// The shape of one environment's stack config (`llm-platform:platform`). Every field says what it
// is and its default in `.describe()`; the README's config reference is generated from these.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label no longer than `max`, which leaves room for the suffixes derived names get. */
export function dnsLabel(max: number) {
  return z
    .string()
    .max(max, `must be at most ${max} characters (derived Kubernetes and cloud names add suffixes)`)
    .regex(DNS1123_LABEL, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit");
}

/** Longest model name: KServe derives `<name>-kserve-workload-svc`-style names capped at 63. */
export const MODEL_NAME_MAX = 42;
/** Longest pool name: EKS node group and GKE node pool names derived from it stay under 40. */
export const POOL_NAME_MAX = 24;

export const tierSchema = z.enum(["dev", "staging", "prod"]);

const environmentSchema = z
  .strictObject({
    name: dnsLabel(20).describe("Environment name, used as the prefix of cloud resource names. Required."),
    tier: tierSchema.describe("`dev`, `staging` or `prod`: decides which checks are strict. Required."),
  })
  .describe("Which environment this stack is.");

const cloudSchema = z
  .strictObject({
    provider: z
      .enum(["aws", "gcp", "existing"])
      .describe("`aws` (EKS), `gcp` (GKE) or `existing` (a cluster reached through a kubeconfig). Required."),
    region: z
      .string()
      .regex(/^[a-z]+(-[a-z0-9]+)+$/, "must look like a cloud region, e.g. us-east-1 or us-central1")
      .optional()
      .describe("Cloud region. Required for `aws` and `gcp`."),
  })
  .describe("Where the platform runs.");

const clusterSchema = z
  .strictObject({
    name: dnsLabel(40).optional().describe("Cluster name. Default: `<environment.name>-llm`."),
    kubernetesVersion: z
      .string()
      .regex(/^1\.\d{2}$/, "must be a Kubernetes minor version such as 1.33")
      .default("1.33")
      .describe("Kubernetes minor version of a managed cluster. Default: `1.33`."),
    context: z
      .string()
      .min(1)
      .optional()
      .describe(
        "kubeconfig context to use (`existing` only). The kubeconfig itself comes from the secret config " +
          "`llm-platform:kubeconfig`, or from the ambient KUBECONFIG when that is unset.",
      ),
  })
  .prefault({})
  .describe("Cluster settings.");

const taintSchema = z.strictObject({
  key: z.string().min(1).describe("Taint key."),
  value: z.string().optional().describe("Taint value."),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).describe("Taint effect."),
});

const localNvmeSchema = z.strictObject({
  devices: z.int().min(1).max(64).describe("Number of local NVMe devices."),
  gbPerDevice: z.number().positive().describe("Size of one device in GB."),
  writeMBpsPerDevice: z
    .number()
    .positive()
    .default(1000)
    .describe("Sustained write throughput of one device in MB/s. Default: 1000."),
});

const hardwareSchema = z
  .strictObject({
    gpuModel: z.string().min(1).describe("GPU model name, e.g. `H100-80GB`."),
    gpusPerNode: z.int().min(1).max(16).describe("GPUs per node."),
    gpuMemoryGiB: z.number().positive().max(1024).describe("GiB of memory per GPU."),
    localNvme: localNvmeSchema.optional().describe("Local NVMe on each node; omit when there is none."),
    networkGbps: z.number().positive().describe("Node network bandwidth in Gbps."),
    fastInterconnect: z
      .boolean()
      .default(false)
      .describe("Whether nodes have EFA/RDMA-class networking for multi-node replicas. Default: false."),
  })
  .describe("Hardware of a node type the catalog does not know.");

export const poolSchema = z.strictObject({
  name: dnsLabel(POOL_NAME_MAX).describe("Pool name; models refer to it. Required."),
  instanceType: z
    .string()
    .min(1)
    .optional()
    .describe("Instance type (AWS) or machine type (GCP) from the catalog. Required unless `hardware` is given."),
  hardware: hardwareSchema
    .optional()
    .describe("Full description of the node hardware, for types not in the catalog (existing clusters)."),
  minNodes: z.int().min(0).max(1000).default(0).describe("Fewest nodes. Default: 0."),
  maxNodes: z.int().min(1).max(1000).default(1).describe("Most nodes. Default: 1."),
  desiredNodes: z.int().min(0).max(1000).optional().describe("Nodes to start with. Default: `minNodes`."),
  capacityType: z
    .enum(["on-demand", "spot", "capacity-block"])
    .default("on-demand")
    .describe("How nodes are bought. Default: `on-demand`."),
  nvme: z
    .enum(["raid0", "none"])
    .optional()
    .describe(
      "`raid0` assembles the node's local NVMe into one array for model weights; `none` uses none. " +
        "Default: `raid0` when the node type has local NVMe, else `none`.",
    ),
  nvmeMountPath: z
    .string()
    .regex(/^\/[^\s]*$/, "must be an absolute path")
    .optional()
    .describe("Where the NVMe array is mounted on the node. Default: `/mnt/k8s-disks/0` (the path EKS nodeadm RAID0 uses)."),
  multiNode: z
    .boolean()
    .default(false)
    .describe("Whether one model replica may span several nodes of this pool (LeaderWorkerSet). Default: false."),
  nodeLabels: z
    .record(z.string(), z.string())
    .optional()
    .describe("Labels that select this pool's nodes. Default: `{llm-platform.io/pool: <name>}`."),
  taints: z
    .array(taintSchema)
    .optional()
    .describe("Taints on this pool's nodes. Default: `nvidia.com/gpu=present:NoSchedule`."),
});

const explicitArchitectureSchema = z.strictObject({
  paramsB: z.number().positive().max(10000).describe("Total parameters in billions."),
  layers: z.int().min(1).max(1000).describe("Transformer layers."),
  kvHeads: z.int().min(1).max(1024).describe("Key/value heads."),
  headDim: z.int().min(1).max(2048).describe("Dimension of one attention head."),
  dtype: z.enum(Object.keys(dtypeBytes) as [keyof typeof dtypeBytes]).describe("Data type of the weights."),
  maxContext: z.int().min(256).describe("Longest context the model supports."),
  checkpointGB: z.number().positive().optional().describe("Checkpoint size in GB, when it is not paramsB × dtype."),
});

export const modelSchema = z.strictObject({
  name: dnsLabel(MODEL_NAME_MAX).describe("Model service name; also the served model name by default. Required."),
  source: z
    .strictObject({
      uri: z
        .string()
        .regex(/^(hf|s3|gs|oci|pvc):\/\/[^\s]+$/, "must be a URI with scheme hf://, s3://, gs://, oci:// or pvc://")
        .describe("Where the weights come from, e.g. `hf://meta-llama/Llama-3.1-8B-Instruct`. Required."),
      revision: z
        .string()
        .regex(/^[A-Za-z0-9._\-/]+$/, "must be a commit hash, tag or branch name")
        .optional()
        .describe("Revision (commit) of the source. Required in `prod`."),
    })
    .describe("Model weights source."),
  pool: z.string().min(1).describe("Name of the GPU pool it runs on. Required."),
  architecture: z
    .union([z.string().min(1), explicitArchitectureSchema])
    .describe("A catalog model name (e.g. `llama-3.1-8b`) or an explicit architecture. Required."),
  dtype: z
    .enum(Object.keys(dtypeBytes) as [keyof typeof dtypeBytes])
    .optional()
    .describe("Data type the weights are served in. Default: the architecture's."),
  kvCacheDtype: z.enum(["auto", "fp8"]).default("auto").describe("KV-cache data type. Default: `auto`."),
  replicas: z.int().min(0).max(1000).default(1).describe("Serving replicas. Default: 1."),
  tensorParallel: z.int().min(1).max(64).default(1).describe("GPUs one replica's weights are sharded over. Default: 1."),
  dataLocal: z.int().min(1).max(64).default(1).describe("Data-parallel ranks per replica (vLLM data-parallel-size-local). Default: 1."),
  maxModelLen: z
    .int()
    .min(256)
    .max(10_000_000)
    .optional()
    .describe("Longest sequence (prompt + output) in tokens. Default: the smaller of 8192 and the model's maximum."),
  gpuMemoryUtilization: z
    .number()
    .gt(0, "must be above 0")
    .max(0.98, "must be at most 0.98 (leave room for the CUDA context)")
    .default(0.9)
    .describe("Fraction of each GPU vLLM may use. Default: 0.9."),
});

export const platformSchema = z
  .strictObject({
    environment: environmentSchema,
    cloud: cloudSchema,
    cluster: clusterSchema,
    modelsNamespace: dnsLabel(63).default("llm-models").describe("Namespace of the model services. Default: `llm-models`."),
    gpuPools: z.array(poolSchema).default([]).describe("GPU node pools. Default: none."),
    models: z.array(modelSchema).default([]).describe("Models to serve. Default: none."),
  })
  .describe("One environment of the LLM platform (`llm-platform:platform`).");

export type PlatformInput = z.input<typeof platformSchema>;
export type ParsedPlatform = z.output<typeof platformSchema>;
export type ParsedPool = z.output<typeof poolSchema>;
export type ParsedModel = z.output<typeof modelSchema>;
export type Tier = z.output<typeof tierSchema>;
