// The CrossGuard pack: `pulumi preview --policy-pack policies --policy-pack-config policies/config/<tier>.json`.
// Constructing the PolicyPack starts the policy server, so only this entry point does it; tests
// and the offline plan import ./all instead.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies, PACK_NAME } from "./all";

new PolicyPack(PACK_NAME, { policies: allPolicies });
