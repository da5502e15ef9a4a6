export * from "./chart-values";
export * from "./cluster-addons";
export * from "./gateway-manifests";
export * from "./gpu-operator-values";
export * from "./versions";
