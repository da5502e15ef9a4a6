import type { IDaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import type { IDaemonSetSpec } from "kubernetes-models/apps/v1/DaemonSetSpec";
import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import type { ICronJobSpec } from "kubernetes-models/batch/v1/CronJobSpec";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IJobSpec } from "kubernetes-models/batch/v1/JobSpec";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEmptyDirVolumeSource } from "kubernetes-models/v1/EmptyDirVolumeSource";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IEnvVarSource } from "kubernetes-models/v1/EnvVarSource";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import type { IResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { Named } from "./named-object";

// Pod-bearing core kinds as the builders emit them: kubernetes-models' types with two differences
// that @pulumi/kubernetes' args insist on, so the objects register without casts. A quantity is a
// string there (kubernetes-models also takes a number), and a DaemonSet or pod template has its
// spec. Only the quantity fields the platform can reach are narrowed; a pod spec here has no
// pod-level resources, overhead, ephemeral containers or volume sources with quantities
// (downwardAPI, projected, ephemeral), which the platform does not use.

/** A resource quantity as Kubernetes prints it ("1", "4Gi"). */
export type Quantity = string;

export type ResourceRequirements = Omit<IResourceRequirements, "limits" | "requests"> & {
  readonly limits?: Readonly<Record<string, Quantity>>;
  readonly requests?: Readonly<Record<string, Quantity>>;
};

export type EnvVar = Omit<IEnvVar, "valueFrom"> & { readonly valueFrom?: Omit<IEnvVarSource, "resourceFieldRef"> };

export type Container = Omit<IContainer, "resources" | "env"> & { readonly resources?: ResourceRequirements; readonly env?: EnvVar[] };

export type Volume = Omit<IVolume, "emptyDir" | "downwardAPI" | "projected" | "ephemeral"> & {
  readonly emptyDir?: Omit<IEmptyDirVolumeSource, "sizeLimit"> & { readonly sizeLimit?: Quantity };
};

export type PodSpec = Omit<IPodSpec, "containers" | "initContainers" | "ephemeralContainers" | "volumes" | "overhead" | "resources"> & {
  readonly containers: Container[];
  readonly initContainers?: Container[];
  readonly volumes?: Volume[];
};

export type PodTemplateSpec = Omit<IPodTemplateSpec, "spec"> & { readonly spec: PodSpec };

export type JobSpec = Omit<IJobSpec, "template"> & { readonly template: PodTemplateSpec };

export type Job = Named<Omit<IJob, "spec"> & { readonly spec: JobSpec }>;

export type CronJob = Named<Omit<ICronJob, "spec"> & { readonly spec: Omit<ICronJobSpec, "jobTemplate"> & { readonly jobTemplate: { readonly spec: JobSpec } } }>;

export type DaemonSet = Named<Omit<IDaemonSet, "spec"> & { readonly spec: Omit<IDaemonSetSpec, "template"> & { readonly template: PodTemplateSpec } }>;
