import { GpuInstanceType, GpuModel, gpuMemoryGiB } from "./gpu-types";

type Row = [name: string, gpus: number, nvmeDevices: number, gbPerDevice: number, networkGbps: number];

// AWS instance-store NVMe on these families sustains roughly 1-2 GB/s sequential write per device;
// 1000 MB/s keeps restore-time estimates on the safe side.
const AWS_NVME_WRITE_MBPS = 1000;

function family(name: string, gpuModel: GpuModel, efa: (instance: string) => boolean, rows: Row[]): GpuInstanceType[] {
  return rows.map(([instance, gpus, devices, gb, networkGbps]) => ({
    name: instance,
    cloud: "aws" as const,
    family: name,
    gpuModel,
    gpusPerNode: gpus,
    gpuMemoryGiB: gpuMemoryGiB[gpuModel],
    localNvme: devices > 0 ? { devices, gbPerDevice: gb, writeMBpsPerDevice: AWS_NVME_WRITE_MBPS } : undefined,
    networkGbps,
    fastInterconnect: efa(instance),
    ...(efa(instance) ? { efaInterfaces: EFA_NETWORK_CARDS[instance] ?? 1 } : {}),
  }));
}

/**
 * Network cards of the EFA types with more than one (EC2 user guide, "Maximum network interfaces"
 * and the EFA supported-instance table): one EFA interface per card gives the full bandwidth.
 */
const EFA_NETWORK_CARDS: Readonly<Record<string, number>> = {
  "p4d.24xlarge": 4,
  "p4de.24xlarge": 4,
  "p5.48xlarge": 32,
  "p5e.48xlarge": 32,
  "p5en.48xlarge": 16,
};

const largest = (sizes: string[]) => (instance: string) => sizes.some((s) => instance.endsWith(`.${s}`));

/**
 * AWS accelerated-computing instance types the platform can size for.
 * Source for every family: AWS EC2 "Accelerated computing instance specifications"
 * (docs.aws.amazon.com/ec2/latest/instancetypes/ac.html) — GPU count, instance store and
 * network bandwidth columns; EFA support from the same page's networking table.
 */
export const awsGpuInstances: readonly GpuInstanceType[] = [
  // g5: NVIDIA A10G 24 GB, one NVMe SSD per instance (two on 48xlarge).
  ...family("g5", "A10G", largest(["8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"]), [
    ["g5.xlarge", 1, 1, 250, 10],
    ["g5.2xlarge", 1, 1, 450, 10],
    ["g5.4xlarge", 1, 1, 600, 25],
    ["g5.8xlarge", 1, 1, 900, 25],
    ["g5.16xlarge", 1, 1, 1900, 25],
    ["g5.12xlarge", 4, 1, 3800, 40],
    ["g5.24xlarge", 4, 1, 3800, 50],
    ["g5.48xlarge", 8, 2, 3800, 100],
  ]),
  // g6: NVIDIA L4 24 GB.
  ...family("g6", "L4", largest(["8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"]), [
    ["g6.xlarge", 1, 1, 250, 10],
    ["g6.2xlarge", 1, 1, 450, 10],
    ["g6.4xlarge", 1, 1, 600, 25],
    ["g6.8xlarge", 1, 2, 450, 25],
    ["g6.16xlarge", 1, 2, 940, 25],
    ["g6.12xlarge", 4, 4, 940, 40],
    ["g6.24xlarge", 4, 4, 940, 50],
    ["g6.48xlarge", 8, 8, 940, 100],
  ]),
  // g6e: NVIDIA L40S 48 GB.
  ...family("g6e", "L40S", largest(["8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"]), [
    ["g6e.xlarge", 1, 1, 250, 20],
    ["g6e.2xlarge", 1, 1, 450, 20],
    ["g6e.4xlarge", 1, 1, 600, 20],
    ["g6e.8xlarge", 1, 1, 900, 25],
    ["g6e.16xlarge", 1, 1, 1900, 35],
    ["g6e.12xlarge", 4, 2, 1900, 100],
    ["g6e.24xlarge", 4, 2, 1900, 200],
    ["g6e.48xlarge", 8, 4, 1900, 400],
  ]),
  // p4d / p4de: 8x A100 (40 GB / 80 GB), 8x 1000 GB NVMe, 400 Gbps EFA.
  ...family("p4d", "A100-40GB", () => true, [["p4d.24xlarge", 8, 8, 1000, 400]]),
  ...family("p4de", "A100-80GB", () => true, [["p4de.24xlarge", 8, 8, 1000, 400]]),
  // p5: H100 80 GB; 48xlarge has 8x 3840 GB NVMe and 3200 Gbps EFAv2; 4xlarge is the single-GPU size
  // (1x 3840 GB NVMe, 100 Gbps) and also supports EFA.
  ...family("p5", "H100-80GB", () => true, [
    ["p5.4xlarge", 1, 1, 3840, 100],
    ["p5.48xlarge", 8, 8, 3840, 3200],
  ]),
  // p5e / p5en: 8x H200 141 GB, 8x 3840 GB NVMe, 3200 Gbps EFA (EFAv3 on p5en).
  ...family("p5e", "H200", () => true, [["p5e.48xlarge", 8, 8, 3840, 3200]]),
  ...family("p5en", "H200", () => true, [["p5en.48xlarge", 8, 8, 3840, 3200]]),
];
