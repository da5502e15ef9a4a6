import type { RecordedResource } from "../../../automation/plan/recorder";
import { planTemplate } from "../../template-project";

// A model added to a running environment with the `model` template: its own project and stack,
// its own namespace, on the environment's GPU pool and Gateway, granting some of the
// environment's tenants from a copy of its tenantGrants output. The gateway tier runs it next to
// prod's models.

/** The template model as it is named on the cluster and by clients. */
export const TEMPLATE_MODEL = {
  /** The template project's stack name (its field manager on the cluster). */
  stack: "chat-team",
  namespace: "chat-team",
  /** The LLMInferenceService, also the name clients send (the template serves its model under its name). */
  name: "qwen3-8b-chat",
  /** Its InferencePool (the router release KServe's scheduler refers to). */
  pool: "qwen3-8b-chat-router",
} as const;

/**
 * Plans the template model on prod's cluster and H100 pool, granting `tenants` from
 * `environmentTenants` (prod's tenantGrants output, or a copy changed to show a failure). The
 * tier is staging: the dev tier's policy allows no p5.48xlarge, and a prod model belongs in the
 * environment's own stack.
 */
export async function planTemplateModel(environmentTenants: unknown, tenants: readonly string[]): Promise<readonly RecordedResource[]> {
  const run = await planTemplate("model", TEMPLATE_MODEL.stack, {
    "llm-platform:environment": TEMPLATE_MODEL.stack,
    "llm-platform:tier": "staging",
    "llm-platform:cluster": "llm-prod",
    "llm-platform:namespace": TEMPLATE_MODEL.namespace,
    "llm-platform:modelName": TEMPLATE_MODEL.name,
    "llm-platform:modelUri": "hf://Qwen/Qwen3-8B",
    "llm-platform:architecture": "qwen3-8b",
    "llm-platform:pool": "h100",
    "llm-platform:poolInstanceType": "p5.48xlarge",
    "llm-platform:tenants": tenants.join(","),
    "llm-platform:environmentTenants": JSON.stringify(environmentTenants),
  });
  return run.resources;
}
