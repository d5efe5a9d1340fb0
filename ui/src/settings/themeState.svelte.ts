// The theme choice shared by every theme control (the rail button, the settings panel).
import { applyTheme, loadTheme, nextTheme, saveTheme, type Theme } from "./theme";

export const themeState = $state<{ theme: Theme }>({ theme: loadTheme() });

/** Re-read the saved choice (a control mounting after another window or test changed it). */
export function syncTheme(): void {
  themeState.theme = loadTheme();
}

export function cycleTheme(): void {
  themeState.theme = nextTheme(themeState.theme);
  saveTheme(themeState.theme);
  applyTheme(themeState.theme);
}
