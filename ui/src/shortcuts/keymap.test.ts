import { describe, expect, it } from "vitest";
import {
  changedEntries,
  checkCombo,
  comboFromEvent,
  DEFAULT_SHORTCUTS,
  displayCombo,
  effectiveKeymap,
  normalizeCombo,
  SHORTCUT_ACTIONS,
} from "./keymap";

const key = (k: string, over: Partial<KeyboardEvent> = {}) => ({
  key: k,
  code: over.code ?? "",
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...over,
});

describe("key presses as combinations", () => {
  it("names letters, Shift, Mod and named keys the same way on every layout", () => {
    expect(comboFromEvent(key("e"), false)).toBe("E");
    expect(comboFromEvent(key("E", { shiftKey: true }), false)).toBe("Shift+E");
    expect(comboFromEvent(key("k", { ctrlKey: true, code: "KeyK" }), false)).toBe("Mod+K");
    expect(comboFromEvent(key("k", { metaKey: true, code: "KeyK" }), true)).toBe("Mod+K");
    expect(comboFromEvent(key("k", { ctrlKey: true, code: "KeyK" }), true)).toBe("Ctrl+K");
    expect(comboFromEvent(key("ArrowDown", { shiftKey: true }), false)).toBe("Shift+ArrowDown");
    expect(comboFromEvent(key(" "), false)).toBe("Space");
    expect(comboFromEvent(key("+", { ctrlKey: true, code: "Equal" }), false)).toBe("Mod+Plus");
    expect(comboFromEvent(key("F2"), false)).toBe("F2");
  });

  it("keeps a symbol's Shift in the character and reads Alt letters physically", () => {
    expect(comboFromEvent(key("?", { shiftKey: true }), false)).toBe("?");
    expect(comboFromEvent(key("/"), false)).toBe("/");
    // Option+E on a Mac types "´": the shortcut is still Alt+E.
    expect(comboFromEvent(key("´", { altKey: true, code: "KeyE" }), true)).toBe("Alt+E");
    expect(comboFromEvent(key("1", { ctrlKey: true, code: "Digit1", shiftKey: true }), false)).toBe("Mod+Shift+1");
  });

  it("ignores lone modifiers, dead keys and the desktop's Super key", () => {
    for (const k of ["Shift", "Control", "Alt", "Meta", "Dead", "CapsLock"]) expect(comboFromEvent(key(k), false)).toBeNull();
    expect(comboFromEvent(key("e", { metaKey: true, code: "KeyE" }), false)).toBeNull();
    expect(comboFromEvent(key("MediaPlayPause"), false)).toBeNull();
  });
});

describe("stored combinations", () => {
  it("normalises what people type and refuses what is not a combination", () => {
    expect(normalizeCombo("ctrl+shift+e")).toBe("Ctrl+Shift+E");
    expect(normalizeCombo(" shift + mod + k ")).toBe("Mod+Shift+K");
    expect(normalizeCombo("Cmd+,")).toBe("Mod+,");
    expect(normalizeCombo("Mod++")).toBe("Mod+Plus");
    expect(normalizeCombo("Shift+/")).toBe("/");
    expect(normalizeCombo("arrowdown")).toBe("ArrowDown");
    expect(normalizeCombo("none")).toBe("None");
    for (const bad of ["", "Mod+", "Hyper+K", "Shift+Shift+K", "Mod+é", "Mod+Banana", "x".repeat(80)]) expect(normalizeCombo(bad)).toBeNull();
  });

  it("builds the keymap from defaults and saved changes, skipping broken, reserved and unknown ones", () => {
    const map = effectiveKeymap({ resolve: "mod+shift+e", palette: "Mod+C", nope: "X", search: "💥", focusComposer: "None" }, false);
    expect(map.resolve).toBe("Mod+Shift+E");
    expect(map.palette).toBe("Mod+K");
    expect(map.search).toBe("/");
    expect(map.focusComposer).toBe("None");
    expect(Object.keys(map).sort()).toEqual([...SHORTCUT_ACTIONS].sort());
    // A Mac keymap's Ctrl means Ctrl elsewhere too (where it is the Mod key).
    expect(effectiveKeymap({ resolve: "Ctrl+E" }, false).resolve).toBe("Mod+E");
    expect(effectiveKeymap({ resolve: "Ctrl+E" }, true).resolve).toBe("Ctrl+E");
  });

  it("refuses keys kept for lists and text, keys another action has, and plain keys for the palette", () => {
    const map = effectiveKeymap(null, false);
    expect(checkCombo(map, "resolve", "Enter")).toEqual({ kind: "reserved" });
    expect(checkCombo(map, "resolve", "Mod+C")).toEqual({ kind: "reserved" });
    expect(checkCombo(map, "resolve", "J")).toEqual({ kind: "taken", by: "nextConversation" });
    expect(checkCombo(map, "resolve", "E")).toBeNull();
    expect(checkCombo(map, "resolve", "Shift+D")).toBeNull();
    expect(checkCombo(map, "palette", "P")).toEqual({ kind: "needsModifier" });
    expect(checkCombo(map, "palette", "Alt+P")).toBeNull();
    expect(checkCombo(map, "resolve", "None")).toBeNull();
  });

  it("saves only what differs from the defaults", () => {
    expect(changedEntries({ ...DEFAULT_SHORTCUTS })).toEqual({});
    expect(changedEntries({ ...DEFAULT_SHORTCUTS, resolve: "Shift+D", search: "None" })).toEqual({ resolve: "Shift+D", search: "None" });
  });

  it("shows combinations the platform's way", () => {
    expect(displayCombo("Mod+Shift+E", false)).toBe("Ctrl+Shift+E");
    expect(displayCombo("Mod+Shift+E", true)).toBe("⌘⇧E");
    expect(displayCombo("Mod+Plus", false)).toBe("Ctrl++");
    expect(displayCombo("ArrowDown", false)).toBe("↓");
    expect(displayCombo("None", false)).toBe("");
  });
});
