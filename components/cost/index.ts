export * from "./estimate";
export * from "./diff";
export * from "./inputs";
export * from "./quotas";
