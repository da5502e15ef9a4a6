import { GpuInstanceType, GpuModel, gpuMemoryGiB } from "./gpu-types";

type Row = [name: string, gpus: number, localSsdDevices: number, networkGbps: number];

// GCP Local SSD devices are 375 GB each. Google publishes throughput per attached total rather
// than per device; ~300 MB/s of write per device is a conservative figure for NVMe Local SSD.
const LOCAL_SSD_GB = 375;
const LOCAL_SSD_WRITE_MBPS = 300;

function family(name: string, gpuModel: GpuModel, accelerator: string, gpuDirect: boolean, rows: Row[]): GpuInstanceType[] {
  return rows.map(([machine, gpus, devices, networkGbps]) => ({
    name: machine,
    cloud: "gcp" as const,
    family: name,
    gpuModel,
    accelerator,
    gpusPerNode: gpus,
    gpuMemoryGiB: gpuMemoryGiB[gpuModel],
    localNvme:
      devices > 0 ? { devices, gbPerDevice: LOCAL_SSD_GB, writeMBpsPerDevice: LOCAL_SSD_WRITE_MBPS } : undefined,
    networkGbps,
    fastInterconnect: gpuDirect && gpus === 8,
  }));
}

/**
 * GCP accelerator-optimized machine types the platform can size for.
 * Source for every family: Google Cloud "Accelerator-optimized machine family"
 * (cloud.google.com/compute/docs/accelerator-optimized-machines) — attached GPUs, bundled
 * Local SSD and maximum network bandwidth columns; accelerator types from "GPU machine types"
 * (cloud.google.com/compute/docs/gpus).
 */
export const gcpGpuMachines: readonly GpuInstanceType[] = [
  // G2: NVIDIA L4 24 GB, bundled Local SSD.
  ...family("g2", "L4", "nvidia-l4", false, [
    ["g2-standard-4", 1, 1, 10],
    ["g2-standard-8", 1, 1, 16],
    ["g2-standard-12", 1, 1, 16],
    ["g2-standard-16", 1, 1, 32],
    ["g2-standard-24", 2, 2, 32],
    ["g2-standard-32", 1, 1, 32],
    ["g2-standard-48", 4, 4, 50],
    ["g2-standard-96", 8, 8, 100],
  ]),
  // A2 Standard: A100 40 GB; Local SSD is optional, not bundled, so no NVMe here.
  ...family("a2-highgpu", "A100-40GB", "nvidia-tesla-a100", false, [
    ["a2-highgpu-1g", 1, 0, 24],
    ["a2-highgpu-2g", 2, 0, 32],
    ["a2-highgpu-4g", 4, 0, 50],
    ["a2-highgpu-8g", 8, 0, 100],
  ]),
  // A2 Ultra: A100 80 GB with bundled Local SSD (one device per GPU).
  ...family("a2-ultragpu", "A100-80GB", "nvidia-a100-80gb", false, [
    ["a2-ultragpu-1g", 1, 1, 24],
    ["a2-ultragpu-2g", 2, 2, 32],
    ["a2-ultragpu-4g", 4, 4, 50],
    ["a2-ultragpu-8g", 8, 8, 100],
  ]),
  // A3 High: H100 80 GB, 16x 375 GB Local SSD and GPUDirect-TCPX on 8g.
  ...family("a3-highgpu", "H100-80GB", "nvidia-h100-80gb", true, [
    ["a3-highgpu-1g", 1, 2, 25],
    ["a3-highgpu-2g", 2, 4, 50],
    ["a3-highgpu-4g", 4, 8, 100],
    ["a3-highgpu-8g", 8, 16, 1000],
  ]),
  // A3 Mega: H100 80 GB, 16x 375 GB Local SSD, GPUDirect-TCPXO, 1800 Gbps.
  ...family("a3-megagpu", "H100-80GB", "nvidia-h100-mega-80gb", true, [["a3-megagpu-8g", 8, 16, 1800]]),
  // A3 Ultra: H200 141 GB, 32x 375 GB Local SSD, GPUDirect RDMA, 3600 Gbps.
  ...family("a3-ultragpu", "H200", "nvidia-h200-141gb", true, [["a3-ultragpu-8g", 8, 32, 3600]]),
];
