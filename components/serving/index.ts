export * from "./endpoints";
export * from "./epp-config";
export * from "./llm-inference-service";
export * from "./model-service";
export * from "./monitoring";
export * from "./router-objects";
export * from "./router-values";
export * from "./vllm-args";
