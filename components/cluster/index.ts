export * from "./existing-cluster";
export * from "./outputs";
export * from "./pool-descriptor";
export * from "./aws/eks-cluster";
export * from "./gcp/gke-cluster";
