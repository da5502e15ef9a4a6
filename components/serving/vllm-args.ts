import type { ResolvedModel } from "../config";
import { VLLM_COMPUTE_DTYPES } from "../config/serving-rules";
import { KV_EVENTS_PORT } from "./epp-config";

// Arguments appended to the command of KServe's `main` container. The v0.20 presets run
// `vllm serve /mnt/models --served-model-name … --port 8000 [--tensor-parallel-size N] … $@`
// (config/llmisvcconfig/config-llm-template.yaml), so these follow what the preset already sets.

/** Port vLLM serves on in KServe's presets. */
export const VLLM_PORT = 8000;

export function vllmArgs(model: ResolvedModel): string[] {
  const args = [
    `--max-model-len=${model.maxModelLen}`,
    `--gpu-memory-utilization=${model.gpuMemoryUtilization}`,
    // On by default in vLLM V1; stated because cache-aware routing is worthless without it.
    "--enable-prefix-caching",
    `--block-size=${model.blockSize}`,
  ];
  if (model.dtype !== model.architecture.dtype) {
    // Serving a different precision than the checkpoint is on-the-fly quantization.
    // vLLM names its compute types bfloat16/float16/float32; validation allows no other change.
    args.push(model.dtype === "fp8" ? "--quantization=fp8" : `--dtype=${VLLM_COMPUTE_DTYPES[model.dtype] ?? model.dtype}`);
  }
  if (model.kvCacheDtype === "fp8") {
    args.push("--kv-cache-dtype=fp8");
  }
  if (model.dataLocal > 1 && !model.multiNode) {
    // The single-node preset has no data-parallel flags; multi-node presets add their own.
    args.push(`--data-parallel-size=${model.dataLocal}`);
  }
  // LoRA flags come from KServe: its controller adds --enable-lora, --max-loras (from
  // spec.model.lora.maxAdapters) and --lora-modules itself (workload_lora.go, v0.20); a second
  // --enable-lora here was a duplicate flag on the real workload.
  if (model.routing === "precise") {
    // Publish KV-cache events for the router's precise prefix index; the EPP discovers pods and
    // dials this socket. The topic names the pod as address:port, which is how the index keys it.
    args.push(
      "--prefix-caching-hash-algo=sha256_cbor",
      `--kv-events-config={"enable_kv_cache_events":true,"publisher":"zmq","endpoint":"tcp://*:${KV_EVENTS_PORT}","topic":"kv@$(POD_IP):${VLLM_PORT}@${model.servedModelName}"}`,
    );
  }
  return [...args, ...model.extraArgs];
}

/** Arguments of llm-d-inference-sim v0.10.2 (docs/configuration.md) standing in for vLLM. */
export function simulatorArgs(model: ResolvedModel): string[] {
  return [
    `--port=${VLLM_PORT}`,
    `--model=${model.servedModelName}`,
    `--served-model-name=${model.servedModelName}`,
    `--max-model-len=${model.maxModelLen}`,
    "--mode=random",
    // Offline clusters: never reach out to Hugging Face for a tokenizer.
    "--force-dummy-tokenizer",
    ...model.extraArgs,
  ];
}
