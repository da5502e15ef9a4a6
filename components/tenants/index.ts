export * from "./config";
export * from "./gateway-objects";
export * from "./rate-limit-store";
export * from "./template-grant";
export * from "./tenant-gateway";
export * from "./usage";
