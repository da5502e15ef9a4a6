import { z } from "zod";
import { autoscalingSchema } from "./autoscaling";
import { dtypeBytes } from "../catalog";
import { isIpv4Cidr } from "../network/cidr";
import { capacitySchema } from "./capacity-schema";
import { REVISION_SEGMENT } from "./revision";
import { gatewayAuthenticationSchema, tenantsSchema } from "../tenants/schema";

// The shape of one environment's stack config (`llm-platform:platform`). Every field says what it
// is and its default in `.describe()`; docs/config-reference.md is generated from these.

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
    project: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a Google Cloud project ID")
      .optional()
      .describe("Google Cloud project ID. Required for `gcp`."),
  })
  .describe("Where the platform runs.");

/** An IPv4 CIDR block such as 10.0.0.0/16. */
export const cidrSchema = z.string().refine(isIpv4Cidr, "must be an IPv4 CIDR block such as 10.0.0.0/16 (network address, prefix 0-32)");

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
    apiAccess: z
      .strictObject({
        publicCidrs: z
          .array(cidrSchema)
          .describe("Networks that may reach the public API endpoint; `[]` makes the endpoint private-only (then `privateSources` is required)."),
        privateSources: z
          .strictObject({
            cidrs: z
              .array(cidrSchema)
              .default([])
              .describe("CIDRs of connected networks (VPN, peered VPC, runner subnets) admitted to the private endpoint on 443. Default: none."),
            securityGroupIds: z
              .array(z.string().regex(/^sg-[0-9a-f]+$/, "must be a security group ID"))
              .default([])
              .describe("Security groups (e.g. of a deploy runner in a peered VPC) admitted to the private endpoint on 443 (`aws`). Default: none."),
          })
          .optional()
          .describe(
            "Who may reach the private API endpoint besides the nodes: the machine running pulumi must be one of them when `publicCidrs` is `[]`. " +
              "EKS: 443 ingress on the cluster security group; GKE: master authorized networks.",
          ),
      })
      .optional()
      .describe("Who can reach the Kubernetes API of a managed cluster. Required for `aws` and `gcp`."),
    admins: z
      .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, "must be an IAM role or user ARN"))
      .default([])
      .describe("IAM principals given cluster-admin through EKS access entries (`aws`); the principal running pulumi gets one too. Default: none."),
    logTypes: z
      .array(z.enum(["api", "audit", "authenticator", "controllerManager", "scheduler"]))
      .default(["api", "audit", "authenticator"])
      .describe("EKS control-plane log types sent to CloudWatch (`aws`). Default: api, audit, authenticator."),
    releaseChannel: z
      .enum(["RAPID", "REGULAR", "STABLE"])
      .default("REGULAR")
      .describe("GKE release channel (`gcp`). Default: REGULAR."),
    privateNodes: z.boolean().default(true).describe("GKE nodes without public IPs, egress through Cloud NAT (`gcp`). Default: true."),
    deletionProtection: z.boolean().optional().describe("Refuse to delete the managed cluster. Default: true in prod, else false."),
    systemNodes: z
      .strictObject({
        instanceType: z.string().min(1).optional().describe("Instance/machine type. Default: `m7i.xlarge` on aws, `n2-standard-4` on gcp."),
        minNodes: z.int().min(1).max(100).default(2).describe("Fewest nodes. Default: 2."),
        maxNodes: z.int().min(1).max(100).default(4).describe("Most nodes. Default: 4."),
      })
      .prefault({})
      .describe("CPU nodes for controllers, routers and simulators (no GPU taint), on managed clusters."),
  })
  .prefault({})
  .describe("Cluster settings.");

const networkSchema = z
  .strictObject({
    cidr: cidrSchema
      .optional()
      .describe("VPC CIDR (`aws`, prefix /16 to /20) or node subnet CIDR (`gcp`). Default: `10.0.0.0/16` on aws, `10.0.0.0/20` on gcp."),
    zones: z
      .array(z.string().regex(/^[a-z]+(-[a-z0-9]+)+[a-z]$/, "must be an availability zone such as us-east-1a"))
      .optional()
      .describe("Availability zones of the VPC's subnets, at least two (`aws`). Required when the platform creates the VPC."),
    natGateways: z
      .enum(["single", "per-zone"])
      .default("single")
      .describe("One NAT gateway for the VPC, or one per zone so a zone outage keeps egress (`aws`). Default: single."),
    podCidr: cidrSchema.optional().describe("Pod secondary range (`gcp`). Default: `10.4.0.0/14`."),
    serviceCidr: cidrSchema.optional().describe("Service secondary range (`gcp`). Default: `10.8.0.0/20`."),
    controlPlaneCidr: cidrSchema.optional().describe("/28 for the GKE control plane's private endpoint (`gcp`, private nodes). Default: `172.16.0.0/28`."),
    proxyCidr: cidrSchema
      .optional()
      .describe("Proxy-only subnet the regional Application Load Balancers behind GKE Gateways need (`gcp`). Default: `10.9.0.0/23`."),
    existing: z
      .strictObject({
        vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "must be a VPC ID").optional().describe("VPC ID (`aws`)."),
        privateSubnetIds: z
          .array(z.string().regex(/^subnet-[0-9a-f]+$/, "must be a subnet ID"))
          .optional()
          .describe("Private subnets for nodes, in at least two zones (`aws`)."),
        publicSubnetIds: z
          .array(z.string().regex(/^subnet-[0-9a-f]+$/, "must be a subnet ID"))
          .default([])
          .describe("Public subnets for internet-facing load balancers (`aws`). Default: none."),
        network: z.string().min(1).optional().describe("VPC network name or self link (`gcp`)."),
        subnetwork: z.string().min(1).optional().describe("Subnetwork name or self link (`gcp`)."),
        podsRange: z.string().min(1).optional().describe("Name of the subnetwork's secondary range for pods (`gcp`)."),
        servicesRange: z.string().min(1).optional().describe("Name of the subnetwork's secondary range for services (`gcp`)."),
      })
      .optional()
      .describe("Use an existing network instead of creating one."),
  })
  .prefault({})
  .describe("The network of a managed cluster: created by the platform, or an existing one.");

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
  nodeImage: z
    .enum(["al2023-nvidia", "bottlerocket-nvidia", "gke-cos", "preinstalled", "bare"])
    .optional()
    .describe(
      "What the node image ships, which decides what the GPU Operator installs: `al2023-nvidia` (driver + toolkit), " +
        "`bottlerocket-nvidia` (driver + toolkit + device plugin), `gke-cos` (Google-installed driver), `preinstalled` " +
        "(driver + toolkit already on the nodes), `bare` (nothing; the operator installs driver and toolkit). " +
        "Default: `al2023-nvidia` on aws, `gke-cos` on gcp, `preinstalled` on existing clusters.",
    ),
  zones: z
    .array(z.string().min(1))
    .optional()
    .describe(
      "Zones the pool's nodes run in: a subset of `network.zones` on aws, GKE node locations on gcp. Multi-node, EFA and " +
        "capacity-block pools need exactly one. Default: every zone of the network (aws), the region's default (gcp).",
    ),
  subnetIds: z
    .array(z.string().regex(/^subnet-[0-9a-f]+$/, "must be a subnet ID"))
    .optional()
    .describe("Subnets of the pool's nodes when `network.existing` is used (`aws`). Default: the private subnets."),
  reservation: z
    .string()
    .min(1)
    .optional()
    .describe("Capacity reservation the nodes consume: an EC2 reservation ID (`cr-…`, required for capacity-block) or a GKE reservation name. Default: none."),
  efa: z
    .boolean()
    .optional()
    .describe("Attach EFA interfaces and a cluster placement group (`aws`). Default: true for multiNode pools on EFA-capable types."),
  rootVolumeGiB: z
    .int()
    .min(50)
    .max(16384)
    .default(200)
    .describe("Root (aws) or boot (gcp) disk in GiB; serving images are many GB. Default: 200."),
  gpuSharing: z
    .discriminatedUnion("mode", [
      z.strictObject({ mode: z.literal("none") }),
      z.strictObject({
        mode: z.literal("time-slicing"),
        replicas: z.int().min(2).max(64).describe("Pods that share one GPU."),
      }),
      z.strictObject({
        mode: z.literal("mig"),
        profile: z
          .string()
          .regex(/^all-(disabled|balanced|\d+g\.\d+gb)$/, "must be a MIG manager profile such as all-1g.10gb or all-balanced")
          .describe("MIG manager profile applied to the pool's nodes."),
      }),
    ])
    .default({ mode: "none" })
    .describe("How the pool's GPUs are shared: `none`, `time-slicing` with `replicas`, or `mig` with a `profile`. Default: none."),
  capacity: capacitySchema.default({ provisioner: "managed", consolidateAfter: "15m" }),
});

const explicitArchitectureSchema = z.strictObject({
  paramsB: z.number().positive().max(10000).describe("Total parameters in billions."),
  layers: z.int().min(1).max(1000).describe("Transformer layers."),
  attentionHeads: z
    .int()
    .min(1)
    .max(1024)
    .optional()
    .describe("Attention (query) heads, `num_attention_heads` in config.json; tensorParallel must divide them. Default: unknown (only the KV-head rule is checked)."),
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
        // One path segment, as restore.sh accepts it: the revision names a directory under the
        // cache root and a key in the snapshot store, so '/' or a leading '.' ('..') would escape them.
        .regex(REVISION_SEGMENT, "must be a commit hash, tag or branch name of A-Z a-z 0-9 . _ - (no '/', not starting with '.')")
        .optional()
        .describe("Revision of the source: a full 40-hex commit in `prod`, and outside `dev` whenever the model cache is on; `dev` may name a branch or tag, which the cache follows. Required in `prod` and with the cache."),
    })
    .describe("Model weights source."),
  pool: z.string().min(1).optional().describe("Name of the GPU pool it runs on. Required unless `simulator` is set."),
  architecture: z
    .union([z.string().min(1), explicitArchitectureSchema])
    .describe("A catalog model name (e.g. `llama-3.1-8b`) or an explicit architecture. Required."),
  dtype: z
    .enum(Object.keys(dtypeBytes) as [keyof typeof dtypeBytes])
    .optional()
    .describe("Data type the weights are served in. Default: the architecture's."),
  kvCacheDtype: z.enum(["auto", "fp8"]).default("auto").describe("KV-cache data type. Default: `auto`."),
  replicas: z.int().min(0).max(1000).optional().describe("Fixed serving replicas (not with `autoscaling`). Default: 1."),
  autoscaling: autoscalingSchema.optional(),
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
  servedModelName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/, "must be a model name clients can send (letters, digits, '.', '_', '-', '/')")
    .optional()
    .describe("Model name clients send in requests. Default: `name`."),
  simulator: z
    .boolean()
    .default(false)
    .describe("Run llm-d-inference-sim on CPU nodes instead of vLLM on GPUs (dev and local stacks). Default: false."),
  routing: z
    .enum(["llm-d", "kserve", "precise", "round-robin"])
    .default("llm-d")
    .describe(
      "`llm-d`: an llm-d router release per model scoring prefix-cache, queue and KV-cache use; `kserve`: KServe's managed " +
        "scheduler with the same scoring; `precise`: llm-d with vLLM KV-cache events; `round-robin`: no scheduler (dev only). Default: `llm-d`.",
    ),
  scorerWeights: z
    .strictObject({
      prefixCache: z.number().min(0).max(100).default(2).describe("Weight of prefix-cache hits. Default: 2."),
      queue: z.number().min(0).max(100).default(3).describe("Weight of short queues. Default: 3."),
      kvCacheUtilization: z.number().min(0).max(100).default(2).describe("Weight of free KV cache. Default: 2."),
    })
    .prefault({})
    .describe(
      "Endpoint-picker scorer weights. The defaults put queue above prefix hits (the llm-d router chart has prefix 3, queue 2): " +
        "measured in bench/routing, a heavier prefix weight piles groups onto few replicas when caches are roomy.",
    ),
  routerReplicas: z.int().min(1).max(10).default(2).describe("Endpoint-picker replicas (leader-elected). Default: 2."),
  blockSize: z
    .union([z.literal(16), z.literal(32), z.literal(64), z.literal(128)])
    .default(64)
    .describe("vLLM KV-cache block size in tokens; the router's prefix producer uses the same. Default: 64."),
  disaggregation: z
    .strictObject({
      prefillReplicas: z.int().min(1).max(1000).describe("Prefill workers."),
      prefillTensorParallel: z.int().min(1).max(64).optional().describe("Tensor parallel of prefill workers. Default: the model's."),
    })
    .optional()
    .describe("Prefill/decode disaggregation: a separate prefill workload and a P/D router profile. Default: off."),
  loraAdapters: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be a plain adapter name").describe("Adapter name clients request."),
        uri: z.string().regex(/^(hf|s3|gs|oci|pvc):\/\/[^\s]+$/, "must be a URI with scheme hf://, s3://, gs://, oci:// or pvc://").describe("Where the adapter comes from."),
      }),
    )
    .default([])
    .describe("LoRA adapters served on top of the model. Default: none."),
  extraArgs: z.array(z.string()).default([]).describe("Extra vLLM command-line arguments. Default: none."),
});

const switchSchema = (what: string) => z.boolean().default(true).describe(`Install ${what}. Default: true.`);

const addonsSchema = z
  .strictObject({
    certManager: switchSchema("cert-manager (KServe's webhook certificates, gateway TLS)"),
    gatewayApiCrds: switchSchema("the Gateway API standard CRDs and Envoy Gateway CRDs (on GKE without tenants, its gatewayApiConfig owns the Gateway API CRDs)"),
    inferenceExtensionCrds: switchSchema("the Gateway API Inference Extension CRDs (InferencePool v1)"),
    gateway: switchSchema("the gateway implementation (Envoy Gateway + Envoy AI Gateway; on GKE only with tenants, otherwise GKE's own Gateway serves)"),
    leaderWorkerSet: z
      .boolean()
      .optional()
      .describe("Install the LeaderWorkerSet controller. Default: when a pool is multiNode."),
    gpuOperator: switchSchema("the NVIDIA GPU Operator"),
    kserve: switchSchema("KServe's LLMInferenceService controller and presets"),
    sharedGateway: switchSchema("the shared inference Gateway"),
  })
  .prefault({})
  .describe("Which cluster add-ons the platform installs; switch off what the cluster already has.");

const gatewaySchema = z
  .strictObject({
    exposure: z
      .enum(["internal", "internet"])
      .default("internal")
      .describe("`internal` (private load balancer) or `internet` (public). Default: internal."),
    hostname: z
      .string()
      .regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, "must be a DNS name such as llm.example.com")
      .optional()
      .describe("Hostname of the endpoints; adds an HTTPS listener with a cert-manager certificate. Default: none (HTTP only)."),
    issuer: z
      .strictObject({
        name: z.string().min(1).describe("Issuer name."),
        kind: z.enum(["ClusterIssuer", "Issuer"]).default("ClusterIssuer").describe("Issuer kind. Default: ClusterIssuer."),
      })
      .optional()
      .describe("cert-manager issuer of the gateway certificate. Required with `hostname`."),
    authentication: gatewayAuthenticationSchema,
  })
  .prefault({})
  .describe("The shared inference Gateway every model is routed on.");

const modelCacheSchema = z
  .strictObject({
    mode: z
      .enum(["auto", "nvme", "stream", "off"])
      .default("off")
      .describe(
        "`nvme`: weights restored from the snapshot store onto each node's NVMe array and mounted read-only; `stream`: vLLM " +
          "streams them from the store (`--load-format runai_streamer`); `auto`: nvme on pools with local NVMe, stream elsewhere; " +
          "`off`: KServe downloads from the source on every start (dev only). Default: off.",
      ),
    store: z
      .strictObject({
        provider: z.enum(["s3", "gcs"]).optional().describe("Object store kind. Required on existing clusters; follows the cloud otherwise."),
        bucket: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.\-_]{1,61}[a-z0-9]$/, "must be a bucket name")
          .optional()
          .describe("Bucket holding models/<model-id>/<revision>/. Required on existing clusters."),
        region: z.string().optional().describe("Bucket region (S3)."),
        endpoint: z.url().optional().describe("Endpoint of an S3-compatible store. Default: the provider's."),
      })
      .optional()
      .describe(
        "The environment's snapshot store. On aws and gcp the platform creates it (provider and region follow the cloud; " +
          "`bucket` defaults to `<cluster.name>-model-snapshots` and must be globally unique). Required on existing clusters unless mode is off.",
      ),
    credentialsSecret: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a Secret name")
      .optional()
      .describe("Secret in the models namespace with store credentials as environment variables. Default: workload identity."),
    verifyChecksums: z.boolean().default(false).describe("Check every file's sha256 on restore, not only its size. Default: false."),
    transfers: z.int().min(1).max(256).default(32).describe("Parallel transfers of a restore. Default: 32."),
    pruneGraceHours: z
      .int()
      .min(1)
      .max(720)
      .default(24)
      .describe("Hours an unconfigured revision stays on a node after a pod last started from it. Default: 24."),
  })
  .prefault({})
  .describe("The snapshot-restore model cache: seed once into the store, restore onto any node, no PVCs.");

const monitoringSchema = z
  .strictObject({
    prometheusOperator: z
      .boolean()
      .optional()
      .describe(
        "Whether the cluster runs the Prometheus operator; adds ServiceMonitors/PodMonitors for DCGM, vLLM and the routers. Default: true with `install`, else false.",
      ),
    install: z
      .boolean()
      .default(false)
      .describe(
        "Deploy kube-prometheus-stack on the system nodes (Prometheus operator, Prometheus, Alertmanager, kube-state-metrics, node-exporter, Grafana) with the platform's dashboards and alert rules. Default: false.",
      ),
    prometheusUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("Query URL of a Prometheus the platform does not run (what scalers and dashboards read); not with `install`. Default: none."),
  })
  .prefault({})
  .describe("Metrics: scraping objects, an installed monitoring stack or an existing Prometheus.");

export const platformSchema = z
  .strictObject({
    environment: environmentSchema,
    cloud: cloudSchema,
    cluster: clusterSchema,
    network: networkSchema,
    modelsNamespace: dnsLabel(63).default("llm-models").describe("Namespace of the model services. Default: `llm-models`."),
    gpuPools: z.array(poolSchema).default([]).describe("GPU node pools. Default: none."),
    models: z.array(modelSchema).default([]).describe("Models to serve. Default: none."),
    addons: addonsSchema,
    gateway: gatewaySchema,
    monitoring: monitoringSchema,
    modelCache: modelCacheSchema,
    tenants: tenantsSchema,
  })
  .describe("One environment of the LLM platform (`llm-platform:platform`).");

export type PlatformInput = z.input<typeof platformSchema>;
export type ParsedPlatform = z.output<typeof platformSchema>;
export type ParsedPool = z.output<typeof poolSchema>;
export type ParsedModel = z.output<typeof modelSchema>;
export type Tier = z.output<typeof tierSchema>;
