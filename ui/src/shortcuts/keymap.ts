// Keyboard shortcuts: the actions that have one, their documented defaults, and the one way
// a key press becomes a combination ("Mod+Shift+E"). Pure: no DOM state, no Svelte.
//
// Combination text: modifiers in the order Mod, Ctrl, Alt, Shift, then the key. "Mod" is Ctrl
// on Linux and Windows and ⌘ on macOS ("Ctrl" then only exists on macOS). Letters are upper
// case; a printed symbol ("/", "?", "[") carries its Shift in the character itself; named
// keys keep their DOM names (Enter, ArrowDown, F2…), plus "Space" and "Plus".

/** Every action a shortcut can run (the palette reaches these and more). */
export const SHORTCUT_ACTIONS = [
  "palette",
  "nextConversation",
  "previousConversation",
  "resolve",
  "resolveAndNext",
  "assignToMe",
  "assignTo",
  "focusComposer",
  "search",
  "viewMine",
  "viewUnassigned",
  "viewAll",
  "viewClosed",
  "newConversation",
  "toggleContact",
  "openSettings",
] as const;

export type ShortcutAction = (typeof SHORTCUT_ACTIONS)[number];

/** The defaults, as README's "Keyboard" section documents them. "None" means no shortcut. */
export const DEFAULT_SHORTCUTS: Record<ShortcutAction, string> = {
  palette: "Mod+K",
  nextConversation: "J",
  previousConversation: "K",
  resolve: "E",
  resolveAndNext: "Shift+E",
  assignToMe: "A",
  assignTo: "Shift+A",
  focusComposer: "R",
  search: "/",
  viewMine: "1",
  viewUnassigned: "2",
  viewAll: "3",
  viewClosed: "4",
  newConversation: "N",
  toggleContact: "I",
  openSettings: "Mod+,",
};

export const NO_SHORTCUT = "None";

/**
 * Actions that also work while typing in a text field; only their combinations with Mod, Ctrl
 * or Alt do (a plain letter always types).
 */
export const WHILE_TYPING: ReadonlySet<ShortcutAction> = new Set(["palette", "openSettings"]);

/** Actions that repeat while the key is held (moving through the list). */
export const REPEATS: ReadonlySet<ShortcutAction> = new Set(["nextConversation", "previousConversation"]);

const MODIFIERS = ["Mod", "Ctrl", "Alt", "Shift"] as const;
type Modifier = (typeof MODIFIERS)[number];

const NAMED = new Set([
  "Enter", "Escape", "Tab", "Backspace", "Delete", "Insert", "Home", "End", "PageUp", "PageDown",
  "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Space", "Plus",
  ...Array.from({ length: 12 }, (_, i) => `F${i + 1}`),
]);

/**
 * Keys that keep their fixed meaning and cannot be given to an action: moving and opening in
 * lists, closing, tabbing, and the editing keys every text field needs.
 */
const RESERVED = new Set([
  "Enter", "Escape", "Tab", "Shift+Tab", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight",
  "Space", "Backspace", "Delete",
  "Mod+A", "Mod+C", "Mod+V", "Mod+X", "Mod+Z", "Mod+Shift+Z", "Mod+Y", "Mod+Q", "Mod+W",
]);

export function isMacPlatform(platform = typeof navigator === "undefined" ? "" : navigator.platform): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

/** The combination a key press means, or null for a lone modifier or an unusable key. */
export function comboFromEvent(
  e: Pick<KeyboardEvent, "key" | "code" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">,
  mac = isMacPlatform(),
): string | null {
  if (["Shift", "Control", "Alt", "Meta", "AltGraph", "CapsLock", "Dead", "Unidentified", "Process"].includes(e.key)) return null;
  // The Windows/Super key belongs to the desktop on Linux and Windows.
  if (!mac && e.metaKey) return null;
  const mods: Modifier[] = [];
  if (mac ? e.metaKey : e.ctrlKey) mods.push("Mod");
  if (mac && e.ctrlKey) mods.push("Ctrl");
  if (e.altKey) mods.push("Alt");
  let key: string;
  // Alt (Option on macOS) and Ctrl change the character typed: use the physical letter/digit.
  if ((e.altKey || e.ctrlKey) && /^Key[A-Z]$/.test(e.code)) key = e.code.slice(3);
  else if ((e.altKey || e.ctrlKey) && /^Digit[0-9]$/.test(e.code)) key = e.code.slice(5);
  else if (e.key === " ") key = "Space";
  else if (e.key === "+") key = "Plus";
  else if (e.key.length === 1) key = e.key.toUpperCase();
  else if (NAMED.has(e.key)) key = e.key;
  else return null;
  // A symbol's Shift is already in the character ("?" is Shift+/ on one layout, not another).
  const symbol = key.length === 1 && !/[A-Z0-9]/.test(key);
  if (e.shiftKey && !symbol) mods.push("Shift");
  return [...mods, key].join("+");
}

/** A combination as typed or stored, in canonical form; null when it is not one. */
export function normalizeCombo(text: string): string | null {
  const trimmed = text.trim();
  if (!trimmed || trimmed.length > 64) return null;
  if (trimmed.toLowerCase() === NO_SHORTCUT.toLowerCase()) return NO_SHORTCUT;
  // "Mod++" ends in the "+" key itself.
  const parts = trimmed.endsWith("++") ? [...trimmed.slice(0, -2).split("+"), "Plus"] : trimmed.split("+");
  const keyPart = parts.pop()!.trim();
  const mods = new Set<Modifier>();
  for (const raw of parts) {
    const m = raw.trim().toLowerCase();
    const mod: Modifier | undefined =
      m === "mod" || m === "cmd" || m === "command" || m === "⌘" ? "Mod"
      : m === "ctrl" || m === "control" ? "Ctrl"
      : m === "alt" || m === "option" || m === "opt" ? "Alt"
      : m === "shift" ? "Shift"
      : undefined;
    if (!mod || mods.has(mod)) return null;
    mods.add(mod);
  }
  let key: string;
  if (keyPart.length === 1) {
    if (!/^[\x21-\x7e]$/.test(keyPart)) return null;
    key = keyPart.toUpperCase();
  } else {
    const named = [...NAMED].find((n) => n.toLowerCase() === keyPart.toLowerCase());
    if (!named) return null;
    key = named;
  }
  const symbol = key.length === 1 && !/[A-Z0-9]/.test(key);
  if (symbol) mods.delete("Shift");
  return [...MODIFIERS.filter((m) => mods.has(m)), key].join("+");
}

/**
 * Ctrl and Mod are one key off macOS: what a stored combination means on this machine (a
 * keymap written on a Mac with "Ctrl+K" still works elsewhere as Ctrl+K).
 */
export function forPlatform(combo: string, mac = isMacPlatform()): string {
  if (mac || !combo.split("+").slice(0, -1).includes("Ctrl")) return combo;
  return normalizeCombo(combo.replace(/(^|\+)Ctrl(?=\+)/, "$1Mod")) ?? combo;
}

export type Keymap = Record<ShortcutAction, string>;

/** Defaults with the saved changes on top; unknown actions and broken entries are ignored. */
export function effectiveKeymap(saved: Record<string, string> | null | undefined, mac = isMacPlatform()): Keymap {
  const map = { ...DEFAULT_SHORTCUTS };
  for (const [action, combo] of Object.entries(saved ?? {})) {
    if (!(SHORTCUT_ACTIONS as readonly string[]).includes(action)) continue;
    const c = normalizeCombo(combo);
    if (c && (c === NO_SHORTCUT || !RESERVED.has(c))) map[action as ShortcutAction] = c;
  }
  for (const a of SHORTCUT_ACTIONS) if (map[a] !== NO_SHORTCUT) map[a] = forPlatform(map[a], mac);
  return map;
}

/** Why a combination cannot be given to `action`, or null when it can. */
export type ComboProblem =
  | { kind: "reserved" }
  | { kind: "taken"; by: ShortcutAction }
  | { kind: "needsModifier" };

export function checkCombo(keymap: Keymap, action: ShortcutAction, combo: string): ComboProblem | null {
  if (combo === NO_SHORTCUT) return null;
  if (RESERVED.has(combo)) return { kind: "reserved" };
  // The palette must open from a text field too, where a plain key only types.
  if (WHILE_TYPING.has(action) && !/(^|\+)(Mod|Ctrl|Alt)\+/.test(combo)) return { kind: "needsModifier" };
  const by = SHORTCUT_ACTIONS.find((a) => a !== action && keymap[a] === combo);
  return by ? { kind: "taken", by } : null;
}

/** What to save: only the entries that differ from the defaults. */
export function changedEntries(keymap: Keymap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of SHORTCUT_ACTIONS) if (keymap[a] !== DEFAULT_SHORTCUTS[a]) out[a] = keymap[a];
  return out;
}

/** How a combination is shown: "Ctrl+Shift+E" here, "⌘⇧E" on macOS. */
export function displayCombo(combo: string, mac = isMacPlatform()): string {
  if (combo === NO_SHORTCUT) return "";
  const parts = combo.split("+");
  const key = parts.pop()!;
  const shownKey =
    key === "Plus" ? "+" : key === "Space" ? "Space" : key.startsWith("Arrow") ? ({ ArrowUp: "↑", ArrowDown: "↓", ArrowLeft: "←", ArrowRight: "→" } as Record<string, string>)[key]! : key;
  if (mac) {
    const sym: Record<string, string> = { Mod: "⌘", Ctrl: "⌃", Alt: "⌥", Shift: "⇧" };
    return parts.map((p) => sym[p] ?? p).join("") + shownKey;
  }
  return [...parts.map((p) => (p === "Mod" ? "Ctrl" : p)), shownKey].join("+");
}
