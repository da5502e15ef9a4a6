import type { Policies } from "@pulumi/policy";
import { costPolicies } from "./cost";
import { gpuPolicies } from "./gpu";
import { iamPolicies } from "./iam";
import { securityPolicies } from "./security";
import { servingPolicies } from "./serving";
import { storagePolicies } from "./storage";
import { supplyChainPolicies } from "./supply-chain";

/** Every policy of the pack. Importing this module does not start the policy server. */
export const allPolicies: Policies = [...gpuPolicies, ...storagePolicies, ...securityPolicies, ...iamPolicies, ...supplyChainPolicies, ...servingPolicies, ...costPolicies];

export const PACK_NAME = "llm-platform";
