// Light, dark or follow the system. The choice lives on <html data-theme>; CSS does the rest.
export type Theme = "light" | "dark" | "system";

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  root.dataset.theme = theme;
}

export function effectiveTheme(theme: Theme): "light" | "dark" {
  if (theme !== "system") return theme;
  return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

const KEY = "parley.theme";

/** The person's saved choice (system when none or unreadable). */
export function loadTheme(storage: Storage | undefined = globalThis.localStorage): Theme {
  try {
    const v = storage?.getItem(KEY);
    return v === "light" || v === "dark" || v === "system" ? v : "system";
  } catch {
    return "system";
  }
}

export function saveTheme(theme: Theme, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(KEY, theme);
  } catch {
    /* private mode or full storage: the choice just does not persist */
  }
}

export const nextTheme = (t: Theme): Theme => (t === "system" ? "light" : t === "light" ? "dark" : "system");
