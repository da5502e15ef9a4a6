import { stringify } from "yaml";
import { PlatformInput } from "../components/config";

const SHAPES = [
  { architecture: "llama-3.1-8b", pool: "l4", tensorParallel: 1, maxModelLen: 4096, dtype: "fp8" },
  { architecture: "qwen3-8b", pool: "l4", tensorParallel: 1, maxModelLen: 8192, dtype: "fp8" },
  { architecture: "llama-3.1-70b", pool: "h100", tensorParallel: 4, maxModelLen: 32768 },
  { architecture: "gpt-oss-120b", pool: "h100", tensorParallel: 1, maxModelLen: 65536 },
] as const;

/** A valid existing-cluster stack with `models` models spread over two pools big enough for them. */
export function benchPlatform(models: number): PlatformInput {
  const list = Array.from({ length: models }, (_, i) => {
    const shape = SHAPES[i % SHAPES.length];
    return {
      name: `model-${i}`,
      source: { uri: `hf://bench/model-${i}`, revision: "0123456789abcdef0123456789abcdef01234567" },
      ...shape,
    };
  });
  const gpus = (pool: string) => list.filter((m) => m.pool === pool).reduce((s, m) => s + m.tensorParallel, 0);
  return {
    environment: { name: "bench", tier: "staging" },
    cloud: { provider: "existing" },
    // The cache adds a seeder Job per model and pre-warm DaemonSets, as a real environment has.
    modelCache: { mode: "auto", store: { provider: "s3", bucket: "bench-snapshots", region: "us-east-1" } },
    gpuPools: [
      { name: "l4", instanceType: "g6.48xlarge", minNodes: 0, maxNodes: Math.max(1, Math.ceil(gpus("l4") / 8)) },
      { name: "h100", instanceType: "p5.48xlarge", minNodes: 0, maxNodes: Math.max(1, Math.ceil(gpus("h100") / 8)) },
    ],
    models: list,
  };
}

export function benchStackYaml(models: number): string {
  return stringify({ config: { "llm-platform:platform": benchPlatform(models) } });
}
