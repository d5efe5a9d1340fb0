// The active locale as Svelte state. `t()` reads it, so every `t()` in markup or in a
// `$derived` runs again when `setLocale` changes it: the whole UI follows a language change
// in place, without remounting (an open conversation, a half-typed reply and the settings
// dialog where the language is picked all stay as they are).
export const active = $state({ locale: "en" });
