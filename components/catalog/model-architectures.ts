/** Weight data types the sizing math knows, with their storage cost in bytes per parameter. */
export const dtypeBytes = {
  fp32: 4,
  bf16: 2,
  fp16: 2,
  fp8: 1,
  int8: 1,
  int4: 0.5,
  // OCP microscaling FP4: 4-bit elements plus one 8-bit scale per 32-element block.
  mxfp4: 4.25 / 8,
} as const;

export type Dtype = keyof typeof dtypeBytes;

/** The facts about a model that decide how much GPU memory it needs. */
export interface ModelArchitecture {
  /** Total parameters in billions (all experts for MoE models). */
  readonly paramsB: number;
  /** Active parameters per token in billions, for MoE models. Informational only. */
  readonly activeParamsB?: number;
  /** Transformer layers (`num_hidden_layers`). */
  readonly layers: number;
  /**
   * Attention (query) heads (`num_attention_heads`). vLLM shards them over tensor-parallel ranks,
   * so tensorParallel must divide them. Unknown for explicit architectures that leave it out.
   */
  readonly attentionHeads?: number;
  /** Key/value heads (`num_key_value_heads`); equals the attention heads without GQA. */
  readonly kvHeads: number;
  /** Dimension of one attention head (`head_dim`, or hidden_size / num_attention_heads). */
  readonly headDim: number;
  /** Data type of the published weights. */
  readonly dtype: Dtype;
  /** Longest context the model supports (`max_position_embeddings`). */
  readonly maxContext: number;
  /**
   * Size of the published checkpoint in GB (10^9 bytes), for checkpoints that mix data types
   * (for example MXFP4 experts with BF16 attention); when set it wins over paramsB × dtype.
   */
  readonly checkpointGB?: number;
}

export interface CatalogModel extends ModelArchitecture {
  readonly attentionHeads: number;
  /** Hugging Face repository the figures are read from (its config.json and model card). */
  readonly source: string;
}

/**
 * Architectures of popular open models. Layers, KV heads, head dim and max context come from each
 * repository's `config.json`; parameter counts and checkpoint sizes from its model card / files.
 */
export const modelCatalog = {
  "llama-3.1-8b": {
    paramsB: 8.03, layers: 32, attentionHeads: 32, kvHeads: 8, headDim: 128, dtype: "bf16", maxContext: 131072,
    source: "meta-llama/Llama-3.1-8B-Instruct",
  },
  "llama-3.1-70b": {
    paramsB: 70.55, layers: 80, attentionHeads: 64, kvHeads: 8, headDim: 128, dtype: "bf16", maxContext: 131072,
    source: "meta-llama/Llama-3.1-70B-Instruct",
  },
  "llama-3.1-405b": {
    paramsB: 405.85, layers: 126, attentionHeads: 128, kvHeads: 8, headDim: 128, dtype: "bf16", maxContext: 131072,
    source: "meta-llama/Llama-3.1-405B-Instruct",
  },
  "qwen3-8b": {
    paramsB: 8.19, layers: 36, attentionHeads: 32, kvHeads: 8, headDim: 128, dtype: "bf16", maxContext: 40960,
    source: "Qwen/Qwen3-8B",
  },
  "qwen3-32b": {
    paramsB: 32.8, layers: 64, attentionHeads: 64, kvHeads: 8, headDim: 128, dtype: "bf16", maxContext: 40960,
    source: "Qwen/Qwen3-32B",
  },
  "qwen3-30b-a3b": {
    paramsB: 30.5, activeParamsB: 3.3, layers: 48, attentionHeads: 32, kvHeads: 4, headDim: 128, dtype: "bf16", maxContext: 40960,
    source: "Qwen/Qwen3-30B-A3B",
  },
  "qwen3-235b-a22b": {
    paramsB: 235.1, activeParamsB: 22, layers: 94, attentionHeads: 64, kvHeads: 4, headDim: 128, dtype: "bf16", maxContext: 40960,
    source: "Qwen/Qwen3-235B-A22B",
  },
  // gpt-oss alternates full and 128-token sliding-window attention layers; counting every layer as
  // full attention overstates its KV cache, which errs on the side of "does not fit".
  "gpt-oss-20b": {
    paramsB: 20.9, activeParamsB: 3.6, layers: 24, attentionHeads: 64, kvHeads: 8, headDim: 64, dtype: "mxfp4", maxContext: 131072,
    checkpointGB: 13.8, source: "openai/gpt-oss-20b",
  },
  "gpt-oss-120b": {
    paramsB: 116.8, activeParamsB: 5.1, layers: 36, attentionHeads: 64, kvHeads: 8, headDim: 64, dtype: "mxfp4", maxContext: 131072,
    checkpointGB: 65.3, source: "openai/gpt-oss-120b",
  },
  "mixtral-8x7b": {
    paramsB: 46.7, activeParamsB: 12.9, layers: 32, attentionHeads: 32, kvHeads: 8, headDim: 128, dtype: "bf16", maxContext: 32768,
    source: "mistralai/Mixtral-8x7B-Instruct-v0.1",
  },
} as const satisfies Record<string, CatalogModel>;

export type CatalogModelName = keyof typeof modelCatalog;

export function isCatalogModel(name: string): name is CatalogModelName {
  return Object.prototype.hasOwnProperty.call(modelCatalog, name);
}
