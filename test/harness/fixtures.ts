import { PlatformInput } from "../../components/config";

/** A small valid config every test can start from and change one thing in. */
export function baseConfig(): PlatformInput & { gpuPools: NonNullable<PlatformInput["gpuPools"]>; models: NonNullable<PlatformInput["models"]> } {
  return {
    environment: { name: "test", tier: "dev" },
    cloud: { provider: "existing" },
    cluster: { name: "test-cluster" },
    gpuPools: [
      { name: "h100", instanceType: "p5.48xlarge", minNodes: 1, maxNodes: 2 },
      { name: "l4", instanceType: "g6.xlarge", minNodes: 0, maxNodes: 4 },
    ],
    models: [
      {
        name: "llama-70b",
        source: { uri: "hf://meta-llama/Llama-3.1-70B-Instruct", revision: "945c8663693130f8be2ee66210e062158b2a9693" },
        pool: "h100",
        architecture: "llama-3.1-70b",
        tensorParallel: 4,
        maxModelLen: 32768,
      },
      {
        name: "qwen3-8b",
        source: { uri: "hf://Qwen/Qwen3-8B" },
        pool: "l4",
        architecture: "qwen3-8b",
        dtype: "fp8",
        maxModelLen: 8192,
      },
    ],
  };
}
