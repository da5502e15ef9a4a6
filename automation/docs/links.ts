import * as fs from "fs";
import * as path from "path";
import MarkdownIt from "markdown-it";
import type { Token } from "markdown-it";

// Checks the links between the README and the docs/ pages: every relative link reaches a file,
// and a link to a heading of a Markdown file reaches a heading that exists.

const md = new MarkdownIt();

/** Plain text of an inline token, as GitHub reads a heading: code spans without their backticks. */
function plainText(inline: Token): string {
  return (inline.children ?? [])
    .filter((t) => t.type === "text" || t.type === "code_inline")
    .map((t) => t.content)
    .join("");
}

/**
 * GitHub's anchor for a heading: lower case, punctuation and symbols removed (letters, marks,
 * digits, `_`, `-` and spaces kept), each space a `-`.
 */
export function headingSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of a Markdown text's headings; a repeated heading gets `-1`, `-2`… as on GitHub. */
export function headingAnchors(markdown: string): Set<string> {
  const tokens = md.parse(markdown, {});
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  tokens.forEach((token, i) => {
    if (token.type !== "heading_open") {
      return;
    }
    const base = headingSlug(plainText(tokens[i + 1]));
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  });
  return anchors;
}

/** Every link and image target in a Markdown text (code blocks and code spans are not links). */
export function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  const walk = (tokens: readonly Token[]): void => {
    for (const token of tokens) {
      const target = token.type === "link_open" ? token.attrGet("href") : token.type === "image" ? token.attrGet("src") : null;
      if (target !== null) {
        targets.push(String(target));
      }
      if (token.children) {
        walk(token.children);
      }
    }
  };
  walk(md.parse(markdown, {}));
  return targets;
}

/** A target with a scheme (`https:`, `mailto:`) or protocol-relative leaves the repository. */
function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");
}

/**
 * The broken relative links of one Markdown file, each as `<target>: <reason>`. `read` returns a
 * file's text, or undefined when there is no such file (a directory counts as present).
 */
export function brokenLinks(file: string, markdown: string, read: (file: string) => string | undefined): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (isExternal(target)) {
      continue;
    }
    const hash = target.indexOf("#");
    const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = pathPart === "" ? file : path.resolve(path.dirname(file), pathPart);
    const text = pathPart === "" ? markdown : read(resolved);
    if (text === undefined) {
      problems.push(`${target}: no file ${path.relative(path.dirname(file), resolved) || resolved}`);
      continue;
    }
    // Anchors of other files (line numbers in code, say) are not headings to check.
    if (anchor !== undefined && anchor !== "" && resolved.endsWith(".md") && !headingAnchors(text).has(anchor)) {
      problems.push(`${target}: no heading with anchor #${anchor} in ${path.basename(resolved)}`);
    }
  }
  return problems;
}

/** Reads a file from disk for brokenLinks: its text, "" for a directory, undefined when absent. */
export function readFromDisk(file: string): string | undefined {
  try {
    return fs.statSync(file).isDirectory() ? "" : fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
