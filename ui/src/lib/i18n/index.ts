// The one i18n layer: every user-facing string goes through `t(key, vars)`. Messages live in
// one catalogue per locale (`en.ts` first); a missing key falls back to English, then to the
// key itself (and a test fails on keys used in the code but missing from English).
//
// Locale changes re-render: the active locale is Svelte state (`locale.svelte.ts`), so markup
// and `$derived` values that call `t()` update by themselves. Code outside components can
// listen with `onLocaleChange`. Text computed once and kept (a notice already on screen)
// stays in the language it was written in until it is replaced.
import { en, type MessageKey } from "./en";
import { active } from "./locale.svelte";

export type { MessageKey };
export type Vars = Record<string, string | number>;
export type Catalogue = Partial<Record<MessageKey, string>>;

const catalogues: Record<string, Catalogue> = { en };
const listeners = new Set<(locale: string) => void>();

export function setLocale(locale: string): void {
  const next = locale in catalogues ? locale : "en";
  if (next === active.locale) return;
  active.locale = next;
  if (typeof document !== "undefined") document.documentElement.lang = next;
  for (const listener of [...listeners]) listener(next);
}

export function locale(): string {
  return active.locale;
}

/** The locales with a catalogue (for the language setting), English first. */
export function locales(): string[] {
  return Object.keys(catalogues);
}

/**
 * Register (or extend) the catalogue of another locale: for tests and future languages.
 * English is the reference and lives in `en/`; keys a catalogue lacks fall back to it.
 */
export function addCatalogue(locale: string, messages: Catalogue): void {
  if (locale === "en") throw new Error("English is the reference catalogue: add its strings under i18n/en/");
  catalogues[locale] = { ...catalogues[locale], ...messages };
}

/** Call `listener` with the new locale after every change; returns the way to stop. */
export function onLocaleChange(listener: (locale: string) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** `{name}` placeholders are replaced by `vars.name`; unknown placeholders stay as written. */
export function t(key: MessageKey, vars?: Vars): string {
  const text = catalogues[active.locale]?.[key] ?? en[key] ?? key;
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
