export * from "./existing-cluster";
export * from "./outputs";
export * from "./pool-descriptor";
