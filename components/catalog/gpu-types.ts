/** The GPU models the catalogs know, with the memory a workload can actually allocate. */
export type GpuModel = "A10G" | "L4" | "L40S" | "A100-40GB" | "A100-80GB" | "H100-80GB" | "H200";

/**
 * GiB of device memory per GPU as `nvidia-smi --query-gpu=memory.total` reports it (MiB / 1024),
 * which is what vLLM's `--gpu-memory-utilization` is a fraction of. Marketing figures ("80 GB")
 * overstate it slightly for some parts.
 */
export const gpuMemoryGiB: Readonly<Record<GpuModel, number>> = {
  A10G: 22.49, // 23028 MiB
  L4: 22.49, // 23034 MiB
  L40S: 44.99, // 46068 MiB
  "A100-40GB": 40, // 40960 MiB
  "A100-80GB": 80, // 81920 MiB
  "H100-80GB": 79.65, // 81559 MiB
  H200: 140.4, // 143771 MiB
};

/** The value of the `nvidia.com/gpu.product` node label the GPU Operator's feature discovery sets. */
export const gpuProductLabel: Readonly<Record<GpuModel, string>> = {
  A10G: "NVIDIA-A10G",
  L4: "NVIDIA-L4",
  L40S: "NVIDIA-L40S",
  "A100-40GB": "NVIDIA-A100-SXM4-40GB",
  "A100-80GB": "NVIDIA-A100-SXM4-80GB",
  "H100-80GB": "NVIDIA-H100-80GB-HBM3",
  H200: "NVIDIA-H200",
};

/** Local NVMe that comes with the instance (AWS instance store, GCP bundled Local SSD). */
export interface LocalNvme {
  /** Number of NVMe devices. */
  readonly devices: number;
  /** Size of one device in GB (10^9 bytes), as the provider lists it. */
  readonly gbPerDevice: number;
  /**
   * Sustained sequential write throughput of one device in MB/s. Providers publish IOPS rather
   * than throughput for most of these, so this is a conservative planning figure; the restore-time
   * estimate is the only consumer.
   */
  readonly writeMBpsPerDevice: number;
}

/** One GPU instance (AWS) or machine (GCP) type. */
export interface GpuInstanceType {
  /** Instance type (AWS) or machine type (GCP) name, e.g. `p5.48xlarge`. */
  readonly name: string;
  readonly cloud: "aws" | "gcp";
  /** Instance family, e.g. `p5` or `a3-highgpu`. */
  readonly family: string;
  readonly gpuModel: GpuModel;
  readonly gpusPerNode: number;
  /** GiB of device memory per GPU (see {@link gpuMemoryGiB}). */
  readonly gpuMemoryGiB: number;
  /** Bundled local NVMe; absent when the type has none. */
  readonly localNvme?: LocalNvme;
  /** Network bandwidth of the node in Gbps ("up to" figures taken at their burst value). */
  readonly networkGbps: number;
  /** Whether the type supports EFA (AWS) or GPUDirect networking (GCP) for multi-node traffic. */
  readonly fastInterconnect: boolean;
  /** Compute Engine accelerator type attached to the machine (GCP), e.g. `nvidia-h100-80gb`. */
  readonly accelerator?: string;
  /** Network cards that can carry an EFA interface (AWS EFA types). */
  readonly efaInterfaces?: number;
}
