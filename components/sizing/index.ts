export * from "./memory";
export * from "./restore-time";
