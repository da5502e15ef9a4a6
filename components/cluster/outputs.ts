import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GpuPoolDescriptor } from "./pool-descriptor";

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
}
