// A request to open the settings at a section, from anywhere (e.g. the contact panel's "Open
// Dixa settings" link). The shell watches it, opens the settings and clears it.
import type { SettingsSection } from "./SettingsPanel.svelte";

const state = $state<{ section: SettingsSection | null }>({ section: null });

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
