// The per-environment program: `pulumi up -s <env>` reads stacks/Pulumi.<env>.yaml.
import { platformProgram } from "./components/program";

const outputs = platformProgram();

export const environment = outputs.environment;
export const tier = outputs.tier;
export const cluster = outputs.cluster;
export const modelsNamespace = outputs.modelsNamespace;
export const gpuPools = outputs.gpuPools;
export const models = outputs.models;
export const addons = outputs.addons;
export const endpoints = outputs.endpoints;
export const gatewayAddress = outputs.gatewayAddress;
export const tenants = outputs.tenants;
export const tenantKeys = outputs.tenantKeys;
export const monitoring = outputs.monitoring;
export const kubeconfig = outputs.kubeconfig;
export const snapshotStore = outputs.snapshotStore;
export const cost = outputs.cost;
