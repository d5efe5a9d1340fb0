// Guards for the i18n layer: no English written straight into markup, and no `t()` key that
// English lacks. Text inside `{…}` is code (it goes through `t()`), so only what is left
// around the expressions is checked: text nodes, and the title, aria-label, placeholder and
// alt attributes.
import { describe, expect, it } from "vitest";
import { en } from "./en";

const svelteFiles = import.meta.glob<string>("/src/**/*.svelte", { query: "?raw", import: "default", eager: true });
const codeFiles = import.meta.glob<string>(["/src/**/*.{ts,svelte}", "!/src/**/*.test.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
});

/** Literal text that may stay as written, and why. Keep it short. */
const ALLOWED: Record<string, string> = {
  Parley: "The product's name: the same in every language.",
  "https://chat.example.com": "An example address: it shows the format of the field, not words.",
  "tcp://chat.example.com:1883": "An example broker address: the format of the field, not words.",
  "https://": "The scheme a link field expects: not words.",
  "https://wapikit.example.com/api": "An example address: the format of the field, not words.",
};

const CHECKED_ATTRIBUTES = ["title", "aria-label", "placeholder", "alt"];
/** Two letters in a row: a word. Symbols ("×", "…", "·", "✓", "⚠"), digits and spaces are fine. */
const WORD = /\p{L}{2,}/u;
const blank = (s: string) => s.replace(/[^\n]/g, " ");

/** Every `{…}` (blocks, expressions, attribute values) replaced by a marker, braces matched. */
function withoutExpressions(s: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    if (s[i] !== "{") {
      out += s[i++];
      continue;
    }
    let depth = 0;
    let j = i;
    for (; j < s.length; j++) {
      const c = s[j];
      if (c === '"' || c === "'" || c === "`") {
        for (j++; j < s.length && s[j] !== c; j++) if (s[j] === "\\") j++;
      } else if (c === "{") depth++;
      else if (c === "}" && --depth === 0) break;
    }
    out += "\u0001";
    i = j + 1;
  }
  return out;
}

/** The literal English left in a component's markup, as `text: …` or `attribute="…"`. */
function untranslated(source: string): string[] {
  const markup = withoutExpressions(
    source
      .replace(/<script[\s\S]*?<\/script>/g, blank)
      .replace(/<style[\s\S]*?<\/style>/g, blank)
      .replace(/<!--[\s\S]*?-->/g, blank),
  );
  const found: string[] = [];
  const check = (what: string, raw: string) => {
    const text = raw.replace(/&[a-z]+;|&#\d+;|\u0001/gi, " ").replace(/\s+/g, " ").trim();
    if (WORD.test(text) && !(text in ALLOWED)) found.push(what === "text" ? `text: ${text}` : `${what}="${text}"`);
  };
  let text = "";
  let i = 0;
  while (i < markup.length) {
    if (markup[i] !== "<") {
      text += markup[i++];
      continue;
    }
    check("text", text);
    text = "";
    let j = i + 1;
    for (; j < markup.length && markup[j] !== ">"; j++) {
      const q = markup[j];
      if (q === '"' || q === "'") while (++j < markup.length && markup[j] !== q);
    }
    const tag = markup.slice(i, j + 1);
    for (const m of tag.matchAll(/\s([\w:-]+)=("([^"]*)"|'([^']*)'|([^\s>]+))/g)) {
      if (CHECKED_ATTRIBUTES.includes(m[1]!)) check(m[1]!, m[3] ?? m[4] ?? m[5] ?? "");
    }
    i = j + 1;
  }
  check("text", text);
  return found;
}

describe("untranslated text guard", () => {
  it("finds literal words in markup and attributes, but not in code, symbols or allowed names", () => {
    expect(untranslated(`<p>Hello there</p>`)).toEqual(["text: Hello there"]);
    expect(untranslated(`<button title="Close {name}" aria-label={t("common.close")}>×</button>`)).toEqual([
      'title="Close"',
    ]);
    expect(untranslated(`<input placeholder="Find" alt='Photo' />`)).toEqual(['placeholder="Find"', 'alt="Photo"']);
    expect(untranslated(`<script>const a = "Words";</script><p>{a ? "Yes" : "No {x}"} · 3 …</p>`)).toEqual([]);
    expect(untranslated(`{#if x}<b>{t("a.b")}</b>{:else}&nbsp;–{/if}<!-- a comment --><h1>Parley</h1>`)).toEqual([]);
    expect(untranslated(`<style>p { color: red; }</style><p class="x" data-y="words">{n} / {m}</p>`)).toEqual([]);
  });

  it("no component writes English straight into its markup (use t() from lib/i18n)", () => {
    const files = Object.keys(svelteFiles);
    expect(files.length).toBeGreaterThan(40);
    const problems = files.flatMap((file) => untranslated(svelteFiles[file]!).map((p) => `${file}: ${p}`));
    expect(problems).toEqual([]);
  });

  it("every key the code passes to t() or tn() exists in English", () => {
    const missing: string[] = [];
    for (const [file, source] of Object.entries(codeFiles)) {
      for (const m of source.matchAll(/\btn?\(\s*["'`]([\w.-]+)["'`]/g)) {
        if (!(m[1]! in en)) missing.push(`${file}: ${m[1]}`);
      }
    }
    expect(Object.keys(codeFiles).length).toBeGreaterThan(60);
    expect(missing).toEqual([]);
  });
});
