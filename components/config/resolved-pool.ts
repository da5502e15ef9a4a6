// The resolved shape of a GPU pool, shared by the cluster checks (managed.ts) and the resolver
// (resolve.ts) without either importing the other.
import type { GpuInstanceType } from "../catalog";
import type { ResolvedCapacity } from "./capacity";
import type { ParsedPool } from "./schema";
import type { SharedGpu } from "./serving-rules";

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** What a pool's nodes have, from the catalog or from the pool's own `hardware`. */
export interface NodeHardware {
  /** Catalog instance/machine type, when the pool names one. */
  readonly instanceType?: string;
  readonly gpuModel: string;
  readonly gpusPerNode: number;
  readonly gpuMemoryGiB: number;
  readonly localNvme?: GpuInstanceType["localNvme"];
  readonly networkGbps: number;
  readonly fastInterconnect: boolean;
  /** EFA-capable network cards (AWS catalog types). */
  readonly efaInterfaces?: number;
  /** Compute Engine accelerator type (GCP catalog types). */
  readonly accelerator?: string;
}

export type NodeImage = NonNullable<ParsedPool["nodeImage"]>;

/** A GPU pool with its hardware looked up and every default filled in. */
export interface ResolvedPool
  extends Omit<ParsedPool, "hardware" | "nvme" | "nvmeMountPath" | "desiredNodes" | "nodeLabels" | "taints" | "nodeImage" | "efa" | "capacity"> {
  readonly nodeImage: NodeImage;
  /** EFA interfaces and a cluster placement group (aws). */
  readonly efa: boolean;
  readonly hardware: NodeHardware;
  readonly nvme: "raid0" | "none";
  readonly nvmeMountPath: string;
  readonly desiredNodes: number;
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  /** What one schedulable `nvidia.com/gpu` is once `gpuSharing` applies, and how many a node has. */
  readonly schedulableGpus: SharedGpu;
  /** Who adds and removes the pool's nodes, and the capacity fallback. */
  readonly capacity: ResolvedCapacity;
}
