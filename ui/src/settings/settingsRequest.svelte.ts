// A request to open the settings at a section, from anywhere (e.g. the contact panel's "Open
// Dixa settings" link). The shell watches it, opens the settings and clears it.
import type { SettingsSection } from "./SettingsPanel.svelte";

const state = $state<{ section: SettingsSection | null; dixa: number }>({ section: null, dixa: 0 });

export const settingsRequest = {
  get section(): SettingsSection | null {
    return state.section;
  },
  open(section: SettingsSection): void {
    state.section = section;
  },
  clear(): void {
    state.section = null;
  },
};

/** Bumped when the Dixa token or address changes: the contact panel looks the customer up again. */
export const dixaSettings = {
  get version(): number {
    return state.dixa;
  },
  changed(): void {
    state.dixa += 1;
  },
};
