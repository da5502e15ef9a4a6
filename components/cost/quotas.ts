import { findGpuInstanceType } from "../catalog";
import type { CapacityType } from "../catalog/prices";

// The quotas a stack needs at max scale. AWS limits running instances per family group in vCPUs
// (Service Quotas, service code ec2); Google Cloud limits GPUs per accelerator model and CPUs per
// region (Compute Engine quota metrics). Spot capacity draws on separate quotas on both clouds.

/** vCPUs of a GCP machine type (Google Cloud "Accelerator-optimized machine family" tables). */
const GCP_VCPUS: Readonly<Record<string, number>> = {
  "a2-highgpu-1g": 12, "a2-highgpu-2g": 24, "a2-highgpu-4g": 48, "a2-highgpu-8g": 96,
  "a2-ultragpu-1g": 12, "a2-ultragpu-2g": 24, "a2-ultragpu-4g": 48, "a2-ultragpu-8g": 96,
  "a3-highgpu-1g": 26, "a3-highgpu-2g": 52, "a3-highgpu-4g": 104, "a3-highgpu-8g": 208,
  "a3-megagpu-8g": 208, "a3-ultragpu-8g": 224,
};

/**
 * vCPUs of an instance/machine type, or undefined when not derivable. EC2 sizes follow one rule
 * (xlarge = 4 vCPUs, N×xlarge = 4N; EC2 "Accelerated computing instance specifications"); GCP
 * g2/n2/e2-standard-N and similar carry N in the name; A2/A3 are listed above.
 */
export function vcpusOf(cloud: "aws" | "gcp", type: string): number | undefined {
  if (cloud === "aws") {
    const m = /^[a-z0-9-]+\.(\d*)xlarge$/.exec(type);
    return m ? 4 * (m[1] === "" ? 1 : Number(m[1])) : undefined;
  }
  const listed = GCP_VCPUS[type];
  if (listed !== undefined) {
    return listed;
  }
  const m = /^[a-z0-9]+-(standard|highmem|highcpu)-(\d+)$/.exec(type);
  return m ? Number(m[2]) : undefined;
}

/** AWS Service Quotas codes (service ec2) for running instances, by family group and purchase option. */
export const AWS_QUOTAS = {
  P: { "on-demand": { code: "L-417A185B", name: "Running On-Demand P instances" }, spot: { code: "L-7212CCBC", name: "All P Spot Instance Requests" } },
  G: { "on-demand": { code: "L-DB2E81BA", name: "Running On-Demand G and VT instances" }, spot: { code: "L-3819A6DF", name: "All G and VT Spot Instance Requests" } },
  Standard: {
    "on-demand": { code: "L-1216C47A", name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" },
    spot: { code: "L-34B43A08", name: "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests" },
  },
} as const;

/** Compute Engine GPU quota metric of each catalog accelerator. */
const GCP_GPU_METRIC: Readonly<Record<string, string>> = {
  "nvidia-l4": "NVIDIA_L4_GPUS",
  "nvidia-tesla-a100": "NVIDIA_A100_GPUS",
  "nvidia-a100-80gb": "NVIDIA_A100_80GB_GPUS",
  "nvidia-h100-80gb": "NVIDIA_H100_GPUS",
  "nvidia-h100-mega-80gb": "NVIDIA_H100_MEGA_GPUS",
  "nvidia-h200-141gb": "NVIDIA_H200_GPUS",
};

/** One quota the stack needs, summed over the pools that draw on it. */
export interface QuotaNeed {
  readonly cloud: "aws" | "gcp";
  /** AWS quota code (L-…) or GCP metric (NVIDIA_H100_GPUS, CPUS). */
  readonly quota: string;
  readonly name: string;
  readonly unit: "vCPUs" | "GPUs";
  readonly region?: string;
  readonly needed: number;
  /** What draws on it: "pool h100 (4 × p5.48xlarge)". */
  readonly usedBy: readonly string[];
}

export interface QuotaPoolInput {
  readonly name: string;
  readonly instanceType?: string;
  readonly capacityType: CapacityType;
  readonly maxNodes: number;
  /** Zones the pool's nodes may run in (for availability checks). */
  readonly zones?: readonly string[];
}

/** What could not be worked out, per pool: a reason a reviewer can act on. */
export interface QuotaGap {
  readonly pool: string;
  readonly reason: string;
}

function awsGroup(type: string): keyof typeof AWS_QUOTAS {
  const family = type.split(".")[0] ?? "";
  return family.startsWith("p") ? "P" : family.startsWith("g") || family.startsWith("vt") ? "G" : "Standard";
}

/**
 * The quotas needed at max scale by GPU pools and system nodes. Capacity-block pools consume a
 * reservation bought ahead, not the running-instance quotas, so they need none here.
 */
export function quotaNeeds(
  cloud: "aws" | "gcp" | "existing",
  region: string | undefined,
  pools: readonly QuotaPoolInput[],
  systemNodes?: { readonly instanceType: string; readonly maxNodes: number },
): { needs: QuotaNeed[]; gaps: QuotaGap[] } {
  if (cloud === "existing") {
    return { needs: [], gaps: [] };
  }
  const needs = new Map<string, { name: string; unit: QuotaNeed["unit"]; needed: number; usedBy: string[] }>();
  const gaps: QuotaGap[] = [];
  const add = (quota: string, name: string, unit: QuotaNeed["unit"], n: number, who: string) => {
    const entry = needs.get(quota) ?? { name, unit, needed: 0, usedBy: [] };
    entry.needed += n;
    entry.usedBy.push(who);
    needs.set(quota, entry);
  };
  const all: (QuotaPoolInput & { label: string })[] = [
    ...pools.map((p) => ({ ...p, label: `pool ${p.name}` })),
    ...(systemNodes ? [{ name: "system", instanceType: systemNodes.instanceType, capacityType: "on-demand" as const, maxNodes: systemNodes.maxNodes, label: "system nodes" }] : []),
  ];
  for (const p of all) {
    if (p.instanceType === undefined) {
      gaps.push({ pool: p.name, reason: "hardware outside the catalog: no quota can be derived" });
      continue;
    }
    if (p.capacityType === "capacity-block") {
      gaps.push({ pool: p.name, reason: "capacity-block nodes run on the reservation bought ahead; no running-instance quota applies" });
      continue;
    }
    const vcpus = vcpusOf(cloud, p.instanceType);
    const who = `${p.label} (${p.maxNodes} × ${p.instanceType})`;
    if (vcpus === undefined) {
      gaps.push({ pool: p.name, reason: `vCPUs of ${p.instanceType} are not known` });
    } else if (cloud === "aws") {
      const q = AWS_QUOTAS[awsGroup(p.instanceType)][p.capacityType];
      add(q.code, q.name, "vCPUs", vcpus * p.maxNodes, who);
    } else {
      const spot = p.capacityType === "spot" ? "PREEMPTIBLE_" : "";
      add(`${spot}CPUS`, `${spot ? "Preemptible " : ""}CPUs`, "vCPUs", vcpus * p.maxNodes, who);
    }
    if (cloud === "gcp") {
      const t = findGpuInstanceType("gcp", p.instanceType);
      const metric = t?.accelerator === undefined ? undefined : GCP_GPU_METRIC[t.accelerator];
      if (t !== undefined && metric !== undefined) {
        const spot = p.capacityType === "spot" ? "PREEMPTIBLE_" : "";
        add(`${spot}${metric}`, `${spot ? "Preemptible " : ""}${t.gpuModel} GPUs`, "GPUs", t.gpusPerNode * p.maxNodes, who);
      } else if (t !== undefined) {
        gaps.push({ pool: p.name, reason: `no quota metric recorded for accelerator ${t.accelerator ?? "(none)"}` });
      }
    }
  }
  return {
    needs: [...needs.entries()].map(([quota, e]) => ({ cloud, quota, name: e.name, unit: e.unit, ...(region !== undefined ? { region } : {}), needed: e.needed, usedBy: e.usedBy })),
    gaps,
  };
}
