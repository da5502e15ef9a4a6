import { awsGpuInstances } from "./aws-instances";
import { gcpGpuMachines } from "./gcp-machines";
import { GpuInstanceType } from "./gpu-types";

export * from "./gpu-types";
export * from "./model-architectures";
export * from "./regions";
export { awsGpuInstances, gcpGpuMachines };

const byCloud: Record<"aws" | "gcp", ReadonlyMap<string, GpuInstanceType>> = {
  aws: new Map(awsGpuInstances.map((t) => [t.name, t])),
  gcp: new Map(gcpGpuMachines.map((t) => [t.name, t])),
};

/** Looks an instance/machine type up in one cloud's catalog, or in both when `cloud` is "existing". */
export function findGpuInstanceType(cloud: "aws" | "gcp" | "existing", name: string): GpuInstanceType | undefined {
  if (cloud === "existing") {
    return byCloud.aws.get(name) ?? byCloud.gcp.get(name);
  }
  return byCloud[cloud].get(name);
}

/** Names in the catalog for a cloud, for "did you mean" style error messages. */
export function gpuInstanceTypeNames(cloud: "aws" | "gcp" | "existing"): string[] {
  const clouds = cloud === "existing" ? (["aws", "gcp"] as const) : ([cloud] as const);
  return clouds.flatMap((c) => [...byCloud[c].keys()]);
}
