export * from "./identities";
export * from "./model-cache";
export * from "./snapshot";
export * from "./workloads";
