import * as assert from "assert";
import fc from "fast-check";
import { modelCatalog, ModelArchitecture } from "../components/catalog";
import {
  checkFit,
  estimateRestore,
  kvCacheBytesPerToken,
  OBJECT_STORE_EFFICIENCY,
  replicaMemory,
  RESTORE_FIXED_SECONDS,
  weightBytes,
} from "../components/sizing";

const GiB = 1024 ** 3;
const h100 = (tensorParallel: number) => ({ tensorParallel, gpuMemoryGiB: 79.65, gpuMemoryUtilization: 0.9 });

const architecture: fc.Arbitrary<ModelArchitecture> = fc.record({
  paramsB: fc.double({ min: 0.1, max: 1000, noNaN: true }),
  layers: fc.integer({ min: 1, max: 200 }),
  kvHeads: fc.integer({ min: 1, max: 128 }),
  headDim: fc.constantFrom(64, 80, 96, 128, 256),
  dtype: fc.constantFrom("bf16", "fp16", "fp8", "int4", "mxfp4", "fp32"),
  maxContext: fc.integer({ min: 2048, max: 1_048_576 }),
});
const gpus = fc.record({
  tensorParallel: fc.constantFrom(1, 2, 4, 8, 16),
  gpuMemoryGiB: fc.double({ min: 16, max: 192, noNaN: true }),
  gpuMemoryUtilization: fc.double({ min: 0.5, max: 0.98, noNaN: true }),
});

describe("sizing", () => {
  describe("hand-checked cases", () => {
    it("Llama-3.1-70B in bf16 is 141 GB of weights and 320 KiB of KV cache per token", () => {
      const arch = modelCatalog["llama-3.1-70b"];
      assert.strictEqual(weightBytes(arch), 70.55e9 * 2);
      // 2 (K,V) × 80 layers × 8 KV heads × 128 dims × 2 bytes
      assert.strictEqual(kvCacheBytesPerToken(arch), 327_680);
      assert.strictEqual(kvCacheBytesPerToken(arch, "fp8"), 163_840);
    });

    it("Llama-3.1-70B bf16 does not fit one 80 GiB GPU", () => {
      const fit = checkFit(modelCatalog["llama-3.1-70b"], h100(1), 4096);
      assert.strictEqual(fit.fits, false);
      assert.match(fit.fits ? "" : fit.reason, /^weights need 131.4 GiB but 1 GPU\(s\) × 79.65 GiB × 0.9 utilization leave 69.7 GiB/);
    });

    it("Llama-3.1-70B bf16 fits TP=4 on H100 at 32k context, with room for many sequences", () => {
      const fit = checkFit(modelCatalog["llama-3.1-70b"], h100(4), 32768);
      assert.ok(fit.fits);
      // 4 × 79.65 × 0.9 = 286.7 GiB; minus 131.4 GiB weights and 8 GiB overhead = 147.3 GiB of KV.
      assert.ok(Math.abs(fit.memory.kvCacheBytes / GiB - 147.3) < 0.1, `${fit.memory.kvCacheBytes / GiB}`);
      assert.strictEqual(fit.memory.kvCacheTokens, Math.floor(fit.memory.kvCacheBytes / 327_680));
      assert.ok(fit.memory.kvCacheTokens > 14 * 32768, "at least 14 full-length sequences");
    });

    it("Llama-3.1-70B bf16 at TP=2 holds the weights but not a 131k-token sequence", () => {
      const fit = checkFit(modelCatalog["llama-3.1-70b"], h100(2), 131072);
      assert.strictEqual(fit.fits, false);
      assert.match(fit.fits ? "" : fit.reason, /KV cache/);
    });

    it("gpt-oss-120b uses its published checkpoint size, not params × 4.25 bits", () => {
      assert.strictEqual(weightBytes(modelCatalog["gpt-oss-120b"]), 65.3e9);
      // Serving a different dtype falls back to params × dtype.
      assert.strictEqual(weightBytes(modelCatalog["gpt-oss-120b"], "bf16"), 116.8e9 * 2);
      assert.ok(checkFit(modelCatalog["gpt-oss-120b"], h100(1), 32768).fits);
    });

    it("restore of 141 GB over a 3200 Gbps node is NIC-capped at 200 Gbps × 0.7 = 17.5 GB/s", () => {
      const r = estimateRestore(141.1e9, { networkGbps: 3200, nvmeWriteMBps: 8000 });
      // the 8 GB/s NVMe array is slower than the 17.5 GB/s network share
      assert.strictEqual(r.bottleneck, "nvme");
      assert.strictEqual(r.gbPerSecond, 8);
      assert.ok(Math.abs(r.seconds - (RESTORE_FIXED_SECONDS + 141.1 / 8)) < 1e-9);
      const streamed = estimateRestore(141.1e9, { networkGbps: 3200 });
      assert.strictEqual(streamed.bottleneck, "network");
      assert.strictEqual(streamed.gbPerSecond, (200 * OBJECT_STORE_EFFICIENCY) / 8);
    });
  });

  describe("properties", () => {
    it("weights grow linearly with parameters", () => {
      fc.assert(
        fc.property(architecture, fc.double({ min: 1.01, max: 10, noNaN: true }), (arch, k) => {
          const bigger = { ...arch, paramsB: arch.paramsB * k };
          return Math.abs(weightBytes(bigger) / weightBytes(arch) - k) < 1e-9;
        }),
      );
    });

    it("KV cache per token is linear in layers and KV heads, and halves with fp8 (16-bit models)", () => {
      fc.assert(
        fc.property(architecture, fc.integer({ min: 2, max: 8 }), (arch, k) => {
          const perToken = kvCacheBytesPerToken(arch);
          return (
            kvCacheBytesPerToken({ ...arch, layers: arch.layers * k }) === perToken * k &&
            kvCacheBytesPerToken({ ...arch, kvHeads: arch.kvHeads * k }) === perToken * k &&
            (arch.dtype === "fp32" || kvCacheBytesPerToken(arch, "fp8") * 2 === perToken)
          );
        }),
      );
    });

    it("the memory split adds up: weights + overhead + KV cache = budget", () => {
      fc.assert(
        fc.property(architecture, gpus, (arch, g) => {
          const m = replicaMemory(arch, g);
          return Math.abs(m.weightBytes + m.overheadBytes + m.kvCacheBytes - m.budgetBytes) < 1;
        }),
      );
    });

    it("KV capacity never shrinks with more GPUs, more memory or higher utilization", () => {
      fc.assert(
        fc.property(architecture, gpus, (arch, g) => {
          const base = replicaMemory(arch, g).kvCacheTokens;
          return (
            replicaMemory(arch, { ...g, tensorParallel: g.tensorParallel * 2 }).kvCacheTokens >= base &&
            replicaMemory(arch, { ...g, gpuMemoryGiB: g.gpuMemoryGiB * 1.5 }).kvCacheTokens >= base &&
            replicaMemory(arch, { ...g, gpuMemoryUtilization: Math.min(0.98, g.gpuMemoryUtilization + 0.05) }).kvCacheTokens >= base
          );
        }),
      );
    });

    it("fitting is monotone: fits at a length ⇒ fits at any shorter length and at twice the GPUs", () => {
      fc.assert(
        fc.property(architecture, gpus, fc.integer({ min: 256, max: 262144 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (arch, g, len, shrink) => {
          if (!checkFit(arch, g, len).fits) {
            return true;
          }
          return (
            checkFit(arch, g, Math.max(1, Math.floor(len * shrink))).fits &&
            checkFit(arch, { ...g, tensorParallel: g.tensorParallel * 2 }, len).fits
          );
        }),
      );
    });

    it("a fit verdict agrees with the token capacity", () => {
      fc.assert(
        fc.property(architecture, gpus, fc.integer({ min: 256, max: 262144 }), (arch, g, len) => {
          const fit = checkFit(arch, g, len);
          return fit.fits === fit.memory.kvCacheTokens >= len;
        }),
      );
    });

    it("restore time is linear in bytes and never faster than the slower of NIC and NVMe", () => {
      fc.assert(
        fc.property(
          fc.double({ min: 1e9, max: 2e12, noNaN: true }),
          fc.double({ min: 1, max: 4000, noNaN: true }),
          fc.option(fc.double({ min: 100, max: 50000, noNaN: true }), { nil: undefined }),
          (bytes, networkGbps, nvmeWriteMBps) => {
            const one = estimateRestore(bytes, { networkGbps, nvmeWriteMBps });
            const two = estimateRestore(bytes * 2, { networkGbps, nvmeWriteMBps });
            const transfer = one.seconds - RESTORE_FIXED_SECONDS;
            const nic = (networkGbps * OBJECT_STORE_EFFICIENCY) / 8;
            return (
              Math.abs(two.seconds - RESTORE_FIXED_SECONDS - 2 * transfer) < 1e-6 * transfer &&
              one.gbPerSecond <= nic + 1e-12 &&
              (nvmeWriteMBps === undefined || one.gbPerSecond <= nvmeWriteMBps / 1000 + 1e-12)
            );
          },
        ),
      );
    });
  });
});
