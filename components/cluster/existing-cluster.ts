import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ResolvedPool } from "../config";
import { ClusterOutputs } from "./outputs";
import { describePool, GpuPoolDescriptor } from "./pool-descriptor";

export interface ExistingClusterArgs {
  /** The cluster's name, for outputs and labels. Required. */
  readonly clusterName: string;
  /**
   * kubeconfig of the cluster. Kept secret. Default: the ambient kubeconfig (KUBECONFIG or
   * ~/.kube/config), which the Kubernetes provider reads itself.
   */
  readonly kubeconfig?: pulumi.Input<string>;
  /** kubeconfig context to use. Default: the kubeconfig's current context. */
  readonly context?: string;
  /** GPU pools already present in the cluster, described by their labels and taints. Default: none. */
  readonly gpuPools?: readonly ResolvedPool[];
}

/** A cluster that exists already: a Kubernetes provider plus descriptors of its GPU pools. */
export class ExistingCluster extends pulumi.ComponentResource implements ClusterOutputs {
  public readonly clusterName: pulumi.Output<string>;
  public readonly kubeconfig: pulumi.Output<string> | undefined;
  public readonly provider: k8s.Provider;
  public readonly gpuPools: readonly GpuPoolDescriptor[];
  public readonly identityDependencies: readonly pulumi.Resource[] = [];

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:index:ExistingCluster", name, {}, opts);
    this.clusterName = pulumi.output(args.clusterName);
    this.kubeconfig = args.kubeconfig === undefined ? undefined : pulumi.secret(args.kubeconfig);
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      {
        kubeconfig: this.kubeconfig,
        context: args.context,
        // Objects are owned field by field, so controllers that add fields do not cause diffs.
        enableServerSideApply: true,
      },
      { parent: this },
    );
    this.gpuPools = (args.gpuPools ?? []).map(describePool);
    this.registerOutputs({ clusterName: this.clusterName, gpuPools: this.gpuPools });
  }
}
