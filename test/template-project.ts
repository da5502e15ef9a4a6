import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dump, load } from "js-yaml";
import { parseAllDocuments } from "yaml";
import { allPolicies } from "../policies/all";
import { evaluatePolicies } from "../automation/policy/evaluate";
import { loadPackConfig } from "../automation/policy/pack-config";
import { kubernetesObjects, renderManifests } from "../automation/plan/render";
import { projectAt, runPlan } from "../automation/plan/run";
import { kubernetesSchemas } from "./harness/schema";

// A project made from one of the package's `pulumi new` templates, and its plan: shared by the
// template tests and the gateway tier, which runs a template model next to an environment's.

const REPO = path.resolve(__dirname, "..");
export const TEMPLATES = path.join(REPO, "templates");

export interface TemplateFile {
  name: string;
  template: { description: string; config: Record<string, { description: string; default?: string }> };
}

/**
 * What `pulumi new <template> --name <project>` leaves behind: the files with ${PROJECT} and
 * ${DESCRIPTION} substituted, Pulumi.yaml without its template section, and a stack file holding
 * an answer for every prompt (the default unless `answers` gives one). The package itself is
 * linked in as node_modules/llm-platform, as npm install would put it.
 */
export function instantiate(template: string, stack: string, answers: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `template-${template}-`));
  const source = path.join(TEMPLATES, template);
  const settings = load(fs.readFileSync(path.join(source, "Pulumi.yaml"), "utf8")) as TemplateFile;
  for (const file of fs.readdirSync(source)) {
    const text = fs.readFileSync(path.join(source, file), "utf8").replaceAll("${PROJECT}", `acme-${template}`).replaceAll("${DESCRIPTION}", "made by the template test");
    fs.writeFileSync(path.join(dir, file), text);
  }
  const project = load(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  delete project.template;
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), dump(project));
  const config: Record<string, string> = {};
  for (const [key, prompt] of Object.entries(settings.template.config)) {
    const answer = answers[key] ?? prompt.default;
    assert.ok(answer !== undefined, `the test must answer ${key}, which has no default`);
    config[key] = answer;
  }
  // Answers to no prompt are config set after `pulumi new` (e.g. llm-platform:environmentTenants).
  for (const [key, value] of Object.entries(answers)) {
    config[key] ??= value;
  }
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), dump({ config }));
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(REPO, path.join(dir, "node_modules", "llm-platform"), "dir");
  return dir;
}

/**
 * Plans a project made from `template`: the plan must succeed, pass every mandatory policy for
 * its tier, and each Kubernetes object must validate against the upstream schemas.
 */
export async function planTemplate(template: string, stack: string, answers: Record<string, string>) {
  const dir = instantiate(template, stack, answers);
  const run = await runPlan(dir, stack, projectAt(dir));
  assert.ok(run.ok, run.ok ? "" : JSON.stringify(run.issues));
  const report = await evaluatePolicies(allPolicies, run.resources, loadPackConfig(run.outputs.tier).config);
  assert.deepStrictEqual(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
  const docs = parseAllDocuments(renderManifests(kubernetesObjects(run.resources))).map((d) => d.toJS());
  for (const doc of docs) {
    assert.deepStrictEqual(await kubernetesSchemas().validate(doc), [], `${doc.kind}/${doc.metadata?.name}`);
  }
  return run;
}
