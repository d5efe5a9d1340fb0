// Canned responses in the composer: "/word" opens a menu of saved replies filtered by the
// word; the chosen one replaces "/word" with its text, variables filled from the conversation.
import type { CannedResponse } from "../lib/ipc/ipc";

/** The variables a canned response may use, as `{{name}}`. */
export const VARIABLES = ["customer.name", "customer.email", "agent.name", "conversation.title"] as const;
export type Variable = (typeof VARIABLES)[number];
export type VariableValues = Partial<Record<Variable, string | null>>;

const VAR_RE = /\{\{\s*([^{}\s]+)\s*\}\}/g;
const isVariable = (name: string): name is Variable => (VARIABLES as readonly string[]).includes(name);

export type Filled = {
  text: string;
  /** Variables Parley does not know: left as typed. */
  unknown: string[];
  /** Known variables with no value in this conversation (e.g. no e-mail): left as typed. */
  missing: Variable[];
};

/** Fill `{{variables}}`; unknown ones and ones without a value stay as typed and are reported. */
export function fillVariables(text: string, values: VariableValues): Filled {
  const unknown = new Set<string>();
  const missing = new Set<Variable>();
  const out = text.replace(VAR_RE, (whole, name: string) => {
    if (!isVariable(name)) {
      unknown.add(name);
      return whole;
    }
    const v = values[name]?.trim();
    if (!v) {
      missing.add(name);
      return whole;
    }
    return v;
  });
  return { text: out, unknown: [...unknown], missing: [...missing] };
}

/** Variables used in a text that Parley does not know (for the editor's warning). */
export function unknownVariables(text: string): string[] {
  return [...new Set([...text.matchAll(VAR_RE)].map((m) => m[1]!).filter((n) => !isVariable(n)))];
}

export type SlashToken = { start: number; end: number; query: string };

/** The "/word" being typed right before the caret, at the start or after whitespace. */
export function slashToken(text: string, caret: number): SlashToken | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)\/([\p{L}\p{N}_-]*)$/u.exec(before);
  if (!m) return null;
  const start = m.index + m[1]!.length;
  return { start, end: caret, query: m[2]! };
}

/** Canned responses for a query: shortcut prefix first, then shortcut contains, then text. */
export function filterCanned(list: CannedResponse[], query: string, limit = 8): CannedResponse[] {
  const q = query.trim().toLowerCase();
  const rank = (c: CannedResponse): number => {
    const s = c.shortcut.toLowerCase();
    if (!q || s.startsWith(q)) return 0;
    if (s.includes(q)) return 1;
    if (c.text.toLowerCase().includes(q)) return 2;
    return -1;
  };
  return list
    .map((c) => ({ c, r: rank(c) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.c.shortcut.localeCompare(b.c.shortcut))
    .slice(0, limit)
    .map((x) => x.c);
}

/** Replace `text[start, end)` with `insert`; the new text and the caret after the insertion. */
export function splice(text: string, start: number, end: number, insert: string): { text: string; caret: number } {
  return { text: text.slice(0, start) + insert + text.slice(end), caret: start + insert.length };
}

export const MAX_SHORTCUT = 32;
export const MAX_CANNED_TEXT = 5000;

export type CannedProblems = Partial<Record<"shortcut" | "text", "shortcutRequired" | "shortcutInvalid" | "textRequired" | "textTooLong">>;

/** The same checks the store makes (a word of letters, digits, - or _; a text of at most 5000). */
export function checkCanned(shortcut: string, text: string): CannedProblems {
  const out: CannedProblems = {};
  const s = shortcut.trim().replace(/^\/+/, "");
  if (!s) out.shortcut = "shortcutRequired";
  else if ([...s].length > MAX_SHORTCUT || !/^[\p{L}\p{N}_-]+$/u.test(s)) out.shortcut = "shortcutInvalid";
  const body = text.trim();
  if (!body) out.text = "textRequired";
  else if ([...body].length > MAX_CANNED_TEXT) out.text = "textTooLong";
  return out;
}
