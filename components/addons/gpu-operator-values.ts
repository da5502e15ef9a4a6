import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IToleration } from "kubernetes-models/v1/Toleration";
import { stringify } from "yaml";
import { tolerationFor } from "../cluster/pool-descriptor";
import type { NodeImage, ResolvedPool } from "../config";

// Values of the NVIDIA GPU Operator chart (v25.10.1), derived from what the pools' node images
// already ship, so the operator never installs a second driver, toolkit or device plugin.

/** What a node image ships. */
export interface ImageContents {
  readonly driver: boolean;
  readonly toolkit: boolean;
  readonly devicePlugin: boolean;
  readonly migManager: boolean;
}

/**
 * Sources:
 * - al2023-nvidia: AWS EKS user guide, "EKS AL2023 NVIDIA AMIs" (ml-eks-optimized-ami): the AMI ships
 *   driver and container toolkit; "disable the operator installation of the driver and toolkit".
 *   The device plugin is not included.
 * - bottlerocket-nvidia: same guide, "EKS Bottlerocket NVIDIA AMIs": ships driver, toolkit, the
 *   Kubernetes device plugin and a MIG manager; disable driver, toolkit and device plugin.
 * - gke-cos: NVIDIA cloud-native docs, google-gke.rst (gpu-operator v25.10): Google's installer puts
 *   the driver under /home/kubernetes/bin/nvidia; the operator runs the toolkit there.
 * - preinstalled: NVIDIA getting-started.rst "Pre-Installed NVIDIA GPU Drivers and NVIDIA Container
 *   Toolkit": driver.enabled=false, toolkit.enabled=false.
 * - bare: nothing installed; the operator installs everything.
 */
export const IMAGE_CONTENTS: Readonly<Record<NodeImage, ImageContents>> = {
  "al2023-nvidia": { driver: true, toolkit: true, devicePlugin: false, migManager: false },
  "bottlerocket-nvidia": { driver: true, toolkit: true, devicePlugin: true, migManager: true },
  "gke-cos": { driver: true, toolkit: false, devicePlugin: false, migManager: false },
  preinstalled: { driver: true, toolkit: true, devicePlugin: false, migManager: false },
  bare: { driver: false, toolkit: false, devicePlugin: false, migManager: false },
};

/** Name of the device-plugin ConfigMap the operator creates for time-slicing configs. */
export const SHARING_CONFIG_NAME = "llm-platform-gpu-sharing";
/** Host path where Google's driver installer puts the driver and where the toolkit goes on GKE. */
export const GKE_NVIDIA_DIR = "/home/kubernetes/bin/nvidia";

/** Labels a pool's nodes need so the operator applies its sharing config (see gpu-sharing.rst). */
export function sharingNodeLabels(pool: ResolvedPool): Record<string, string> {
  switch (pool.gpuSharing.mode) {
    case "time-slicing":
      return { "nvidia.com/device-plugin.config": pool.name };
    case "mig":
      return { "nvidia.com/mig.config": pool.gpuSharing.profile };
    default:
      return {};
  }
}

function timeSlicingConfig(replicas: number): string {
  return stringify({
    version: "v1",
    flags: { migStrategy: "none" },
    sharing: { timeSlicing: { resources: [{ name: "nvidia.com/gpu", replicas }] } },
  });
}

export interface GpuOperatorOptions {
  readonly pools: readonly ResolvedPool[];
  /** Kubernetes minor version, e.g. "1.33" (decides the GKE toolkit workaround). */
  readonly kubernetesVersion: string;
  readonly prometheusOperator: boolean;
}

/**
 * The keys the platform sets, as gpu-operator v25.10.1 deployments/gpu-operator/values.yaml names
 * them (the chart ships no values.schema.json): `driver`, `toolkit` (`installDir`, `env`),
 * `devicePlugin` (`config` with `create`, `name`, `default`, `data`), `cdi`, `dcgmExporter`
 * (`serviceMonitor`), `mig.strategy`, `migManager`, `daemonsets.tolerations`,
 * `hostPaths.driverInstallDir`.
 */
export interface GpuOperatorValues {
  readonly driver: { readonly enabled: boolean };
  readonly toolkit: { readonly enabled: boolean; readonly installDir?: string; readonly env?: readonly IEnvVar[] };
  readonly devicePlugin: {
    readonly enabled: boolean;
    /** ConfigMap of device-plugin configs (file name to YAML), selected per node by label. */
    readonly config?: { readonly create: boolean; readonly name: string; readonly default: string; readonly data: Readonly<Record<string, string>> };
  };
  readonly cdi: { readonly enabled: boolean };
  readonly dcgmExporter: { readonly enabled: boolean; readonly serviceMonitor: { readonly enabled: boolean } };
  readonly mig: { readonly strategy: "single" | "mixed" };
  readonly migManager: { readonly enabled: boolean };
  readonly daemonsets: { readonly tolerations: readonly IToleration[] };
  readonly hostPaths?: { readonly driverInstallDir: string };
}

/** Tolerations so every operand runs on every GPU pool, whatever its taints. */
function operandTolerations(pools: readonly ResolvedPool[]): IToleration[] {
  const seen = new Map<string, IToleration>();
  const base: IToleration = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" };
  seen.set(JSON.stringify(base), base);
  for (const t of pools.flatMap((p) => p.taints.map(tolerationFor))) {
    seen.set(JSON.stringify(t), t);
  }
  return [...seen.values()];
}

export function gpuOperatorValues(options: GpuOperatorOptions): GpuOperatorValues {
  const { pools } = options;
  const images = [...new Set(pools.map((p) => p.nodeImage))];
  // Config validation guarantees the pools agree on what their images ship.
  const ships = images.length > 0 ? IMAGE_CONTENTS[images[0]] : IMAGE_CONTENTS.preinstalled;
  const gke = images.includes("gke-cos");
  const timeSliced = pools.filter((p) => p.gpuSharing.mode === "time-slicing");
  const mig = pools.some((p) => p.gpuSharing.mode === "mig");

  return {
    driver: { enabled: !ships.driver },
    toolkit: {
      enabled: !ships.toolkit,
      ...(gke
        ? {
            installDir: GKE_NVIDIA_DIR,
            // GKE 1.33+ ships a containerd config the toolkit misreads unless told to use the file
            // (NVIDIA google-gke.rst, v25.10).
            ...(Number(options.kubernetesVersion.split(".")[1]) >= 33 ? { env: [{ name: "RUNTIME_CONFIG_SOURCE", value: "file" }] } : {}),
          }
        : {}),
    },
    devicePlugin: {
      enabled: !ships.devicePlugin,
      ...(timeSliced.length > 0
        ? {
            config: {
              create: true,
              name: SHARING_CONFIG_NAME,
              default: "",
              data: Object.fromEntries(
                timeSliced.map((p) => [p.name, timeSlicingConfig(p.gpuSharing.mode === "time-slicing" ? p.gpuSharing.replicas : 1)]),
              ),
            },
          }
        : {}),
    },
    // CDI is the 25.10 default and what GKE requires; stated so an upgrade cannot flip it.
    cdi: { enabled: true },
    dcgmExporter: { enabled: true, serviceMonitor: { enabled: options.prometheusOperator } },
    // "single" exposes uniform MIG slices as nvidia.com/gpu, which is what model services request.
    mig: { strategy: "single" },
    migManager: { enabled: mig && !ships.migManager },
    daemonsets: { tolerations: operandTolerations(pools) },
    ...(gke ? { hostPaths: { driverInstallDir: GKE_NVIDIA_DIR } } : {}),
  };
}
