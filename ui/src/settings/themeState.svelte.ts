// The theme choice shared by every theme control (the rail button, the settings screen).
// The settings file (`AppSettings.theme`) is the truth; localStorage keeps a copy so the first
// frame of the next launch is already right.
import { applyTheme, loadTheme, nextTheme, saveTheme, type Theme } from "./theme";

export const themeState = $state<{ theme: Theme }>({ theme: loadTheme() });

/** `PARLEY_THEME` forced a theme at launch: the settings file does not override it. */
let forced = false;
const listeners = new Set<(theme: Theme) => void>();

/** Re-read the saved choice (a control mounting after another window or test changed it). */
export function syncTheme(): void {
  themeState.theme = loadTheme();
}

/** The person chose a theme (any control): remember, apply, and tell who saves settings. */
export function setTheme(theme: Theme): void {
  forced = false;
  themeState.theme = theme;
  saveTheme(theme);
  applyTheme(theme);
  for (const l of [...listeners]) l(theme);
}

export function cycleTheme(): void {
  setTheme(nextTheme(themeState.theme));
}

/** The settings file says `theme` (read at start or after another change): show it. */
export function adoptTheme(theme: Theme): void {
  if (forced || themeState.theme === theme) return;
  themeState.theme = theme;
  saveTheme(theme);
  applyTheme(theme);
}

/** A theme forced at launch wins over the settings file until the person picks one. */
export function forceTheme(theme: "light" | "dark"): void {
  forced = true;
  applyTheme(theme);
}

/** Called after each choice the person makes; returns an unsubscribe function. */
export function onThemeChosen(cb: (theme: Theme) => void): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}
