// Public API of the package.
export * from "./addons";
export * from "./cache";
export * from "./catalog";
export * from "./cluster";
export * from "./config";
export * from "./estimates";
export * from "./platform";
export * from "./program";
export * from "./serving";
export * from "./sizing";
export * from "./facts";
