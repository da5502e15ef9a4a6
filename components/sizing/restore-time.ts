/**
 * Share of a NIC's line rate a parallel object-store download sustains (many concurrent ranged
 * GETs with s5cmd/rclone reach 60-80% on large objects).
 */
export const OBJECT_STORE_EFFICIENCY = 0.7;

/**
 * Object-store traffic leaves through the node's ordinary (ENA/gVNIC) interface, not EFA or
 * GPUDirect NICs, so the multi-terabit figures of the largest GPU nodes do not apply to it.
 */
export const OBJECT_STORE_NIC_CAP_GBPS = 200;

/** Fixed cost of a restore: listing, manifest check, process start, rename. */
export const RESTORE_FIXED_SECONDS = 10;

export interface RestorePath {
  /** Node network bandwidth in Gbps. */
  readonly networkGbps: number;
  /** Local NVMe write throughput in MB/s for the whole array; absent when weights stream from the bucket. */
  readonly nvmeWriteMBps?: number;
}

export interface RestoreEstimate {
  readonly bytes: number;
  /** The throughput the estimate assumes, in GB/s. */
  readonly gbPerSecond: number;
  /** Which side limits it. */
  readonly bottleneck: "network" | "nvme";
  readonly seconds: number;
}

/** How long copying `bytes` from the snapshot store onto a node takes, bounded by NIC or NVMe. */
export function estimateRestore(bytes: number, path: RestorePath): RestoreEstimate {
  const networkGBps = (Math.min(path.networkGbps, OBJECT_STORE_NIC_CAP_GBPS) * OBJECT_STORE_EFFICIENCY) / 8;
  const nvmeGBps = path.nvmeWriteMBps === undefined ? Number.POSITIVE_INFINITY : path.nvmeWriteMBps / 1000;
  const bottleneck = nvmeGBps < networkGBps ? "nvme" : "network";
  const gbPerSecond = Math.min(networkGBps, nvmeGBps);
  return { bytes, gbPerSecond, bottleneck, seconds: RESTORE_FIXED_SECONDS + bytes / 1e9 / gbPerSecond };
}
