import * as assert from "assert";
import {
  awsGpuInstances,
  findGpuInstanceType,
  gcpGpuMachines,
  gpuMemoryGiB,
  gpuProductLabel,
  modelCatalog,
} from "../components/catalog";

describe("catalogs", () => {
  it("cover every AWS and GCP GPU family the platform supports", () => {
    assert.deepStrictEqual([...new Set(awsGpuInstances.map((t) => t.family))], ["g5", "g6", "g6e", "p4d", "p4de", "p5", "p5e", "p5en"]);
    assert.deepStrictEqual(
      [...new Set(gcpGpuMachines.map((t) => t.family))],
      ["g2", "a2-highgpu", "a2-ultragpu", "a3-highgpu", "a3-megagpu", "a3-ultragpu"],
    );
  });

  it("have unique names, consistent memory and sane figures", () => {
    const all = [...awsGpuInstances, ...gcpGpuMachines];
    assert.strictEqual(new Set(all.map((t) => t.name)).size, all.length);
    for (const t of all) {
      assert.ok(t.name.startsWith(t.family), `${t.name} is in family ${t.family}`);
      assert.strictEqual(t.gpuMemoryGiB, gpuMemoryGiB[t.gpuModel], t.name);
      assert.ok([1, 2, 4, 8].includes(t.gpusPerNode), `${t.name} GPUs`);
      assert.ok(t.networkGbps >= 10 && t.networkGbps <= 3600, `${t.name} network`);
      if (t.localNvme) {
        assert.ok(t.localNvme.devices >= 1 && t.localNvme.gbPerDevice >= 250, `${t.name} NVMe`);
      }
      assert.ok(gpuProductLabel[t.gpuModel].startsWith("NVIDIA-"));
    }
  });

  it("hold the flagship shapes as published", () => {
    const p5 = findGpuInstanceType("aws", "p5.48xlarge");
    assert.deepStrictEqual(
      p5 && { gpus: p5.gpusPerNode, model: p5.gpuModel, nvme: p5.localNvme?.devices, gb: p5.localNvme?.gbPerDevice, net: p5.networkGbps, efa: p5.fastInterconnect },
      { gpus: 8, model: "H100-80GB", nvme: 8, gb: 3840, net: 3200, efa: true },
    );
    const a3 = findGpuInstanceType("gcp", "a3-highgpu-8g");
    assert.deepStrictEqual(a3 && { gpus: a3.gpusPerNode, nvme: a3.localNvme?.devices, net: a3.networkGbps }, { gpus: 8, nvme: 16, net: 1000 });
    assert.strictEqual(findGpuInstanceType("gcp", "a2-highgpu-8g")?.localNvme, undefined);
  });

  it("look types up per cloud, and in both for existing clusters", () => {
    assert.strictEqual(findGpuInstanceType("aws", "a3-highgpu-8g"), undefined);
    assert.strictEqual(findGpuInstanceType("gcp", "p5.48xlarge"), undefined);
    assert.strictEqual(findGpuInstanceType("existing", "p5.48xlarge")?.cloud, "aws");
    assert.strictEqual(findGpuInstanceType("existing", "g2-standard-8")?.cloud, "gcp");
  });

  it("describe every model with GQA-consistent attention figures and a source", () => {
    for (const [name, m] of Object.entries(modelCatalog)) {
      assert.ok(m.layers > 0 && m.kvHeads > 0 && m.headDim >= 64, name);
      assert.ok(m.maxContext >= 32768, name);
      assert.match(m.source, /^[\w.-]+\/[\w.-]+$/, name);
      if ("activeParamsB" in m) {
        assert.ok(m.activeParamsB < m.paramsB, name);
      }
    }
    assert.deepStrictEqual(
      Object.keys(modelCatalog),
      ["llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "qwen3-8b", "qwen3-32b", "qwen3-30b-a3b", "qwen3-235b-a22b", "gpt-oss-20b", "gpt-oss-120b", "mixtral-8x7b"],
    );
  });
});
