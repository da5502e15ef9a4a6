import type { Policies } from "@pulumi/policy";
import { gpuPolicies } from "./gpu";
import { securityPolicies } from "./security";
import { servingPolicies } from "./serving";
import { storagePolicies } from "./storage";

/** Every policy of the pack. Importing this module does not start the policy server. */
export const allPolicies: Policies = [...gpuPolicies, ...storagePolicies, ...securityPolicies, ...servingPolicies];

export const PACK_NAME = "llm-platform";
