import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GpuPoolDescriptor } from "./pool-descriptor";

/** The environment's snapshot store as the cluster created it, with the identities that use it. */
export interface SnapshotStoreOutputs {
  readonly provider: "s3" | "gcs";
  readonly bucket: pulumi.Output<string>;
  /**
   * IAM role ARN (EKS) or Google service account email (GKE) of each read-only cache identity, by
   * its Kubernetes ServiceAccount (a model service's or a pool's pre-warm DaemonSet's).
   */
  readonly readerIdentities: Record<string, pulumi.Output<string>>;
  /** Likewise for the seeder, the only identity that writes. */
  readonly seederIdentity: pulumi.Output<string>;
}

/** Annotations of the cache ServiceAccounts: each reader's by its name, and the seeder's. */
export interface CacheServiceAccountAnnotations {
  readonly readers: Record<string, Record<string, string>>;
  readonly seeder: Record<string, string>;
}

/** What every cluster kind (EKS, GKE, existing) hands to the layers above it. */
export interface ClusterOutputs {
  /** The cluster's name. */
  readonly clusterName: pulumi.Output<string>;
  /** kubeconfig for the cluster, as a secret; undefined when the ambient kubeconfig is used. */
  readonly kubeconfig: pulumi.Output<string> | undefined;
  /** Provider every in-cluster resource is created through. */
  readonly provider: k8s.Provider;
  /** The GPU pools, as workloads need to see them. */
  readonly gpuPools: readonly GpuPoolDescriptor[];
  /** The snapshot store the cluster created; undefined on existing clusters. */
  readonly snapshotStore?: SnapshotStoreOutputs;
  /** Annotations the cache ServiceAccounts need to take their cloud identity (GKE Workload Identity). */
  readonly cacheServiceAccountAnnotations?: CacheServiceAccountAnnotations;
  /** What pods using the cache identities must start after (identity bindings). */
  readonly identityDependencies: readonly pulumi.Resource[];
}
