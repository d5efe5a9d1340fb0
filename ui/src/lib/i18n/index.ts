// The one i18n layer: every user-facing string goes through `t(key, vars)`. Messages live in
// one catalogue per locale (`en.ts` first); a missing key falls back to English, then to the
// key itself (and a test fails on keys used in the code but missing from English).
import { en, type MessageKey } from "./en";

export type { MessageKey };
export type Vars = Record<string, string | number>;

const catalogues: Record<string, Partial<Record<MessageKey, string>>> = { en };
let current = "en";

export function setLocale(locale: string): void {
  current = locale in catalogues ? locale : "en";
}

export function locale(): string {
  return current;
}

/** The locales with a catalogue (for the language setting), English first. */
export function locales(): string[] {
  return Object.keys(catalogues);
}

/** `{name}` placeholders are replaced by `vars.name`; unknown placeholders stay as written. */
export function t(key: MessageKey, vars?: Vars): string {
  const text = catalogues[current]?.[key] ?? en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

/** Plural-aware: `key` for one, `key` + "_other" for every other count (English rules). */
export function tn(key: MessageKey, count: number, vars?: Vars): string {
  const other = `${key}_other` as MessageKey;
  const k = count === 1 || !(other in en) ? key : other;
  return t(k, { count, ...vars });
}
