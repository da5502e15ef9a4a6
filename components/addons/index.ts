export * from "./chart-values";
export * from "./cluster-addons";
export * from "./gateway-manifests";
export * from "./gpu-operator-values";
// The pins live in the leaf module components/versions.ts; re-exported here for the public API.
export * from "../versions";
