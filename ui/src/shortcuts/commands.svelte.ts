// Every action the agent can take from the keyboard or the command palette, registered by the
// component that owns it while it is on screen (the conversation pane registers "resolve" for
// the open conversation, the inbox "next conversation"…). One window-level key handler turns
// key presses into actions through the keymap; the palette lists what is registered.
import { isTyping } from "../lib/text";
import {
  comboFromEvent,
  effectiveKeymap,
  isMacPlatform,
  NO_SHORTCUT,
  REPEATS,
  SHORTCUT_ACTIONS,
  WHILE_TYPING,
  type Keymap,
  type ShortcutAction,
} from "./keymap";

export interface Command {
  /** A shortcut action, or a palette-only command ("spam", "theme"…). */
  id: ShortcutAction | string;
  /** Shown in the palette (already translated). */
  label: () => string;
  /** Section in the palette. */
  section: "conversation" | "inbox" | "app";
  /** Extra words the palette matches ("close", "done" for resolve). */
  keywords?: string;
  /** Greyed out / skipped when false (e.g. resolve on a closed conversation). */
  enabled?: () => boolean;
  run: () => unknown;
}

/** Moving between conversations in the inbox, for "resolve and next". */
export interface InboxNavigation {
  /**
   * The row after the current account's conversation `id` in the list on screen (or before it
   * when it is the last), as a reference for `open` (in the unified inbox, maybe another account's).
   */
  neighbourOf(id: string): string | null;
  open(row: string): void;
}

class Commands {
  /** Registered commands, newest last; the newest registration of an id wins. */
  #entries = $state<{ cmd: Command; token: number }[]>([]);
  #next = 0;
  keymap = $state<Keymap>(effectiveKeymap(null));
  mac = isMacPlatform();
  navigation: InboxNavigation | null = null;

  /** Register commands until the returned function is called (call it on destroy). */
  register(...cmds: Command[]): () => void {
    const tokens = cmds.map((cmd) => {
      const token = ++this.#next;
      this.#entries.push({ cmd, token });
      return token;
    });
    return () => {
      this.#entries = this.#entries.filter((e) => !tokens.includes(e.token));
    };
  }

  /** The commands the palette can offer now: one per id, enabled ones. */
  available(): Command[] {
    const byId = new Map<string, Command>();
    for (const { cmd } of this.#entries) byId.set(cmd.id, cmd);
    return [...byId.values()].filter((c) => c.enabled?.() ?? true);
  }

  find(id: string): Command | null {
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const c = this.#entries[i]!.cmd;
      if (c.id === id) return c;
    }
    return null;
  }

  /** Run a command if it is registered and enabled; whether it ran. */
  run(id: string): boolean {
    const c = this.find(id);
    if (!c || !(c.enabled?.() ?? true)) return false;
    void c.run();
    return true;
  }

  /** The shortcut for a command id, if it has one. */
  shortcutOf(id: string): string | null {
    const combo = (this.keymap as Record<string, string>)[id];
    return combo && combo !== NO_SHORTCUT ? combo : null;
  }

  setShortcuts(saved: Record<string, string> | null | undefined) {
    this.keymap = effectiveKeymap(saved, this.mac);
  }

  /** The window's keydown handler. */
  handleKey = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.isComposing) return;
    const combo = comboFromEvent(e, this.mac);
    if (!combo) return;
    const action = SHORTCUT_ACTIONS.find((a) => this.keymap[a] === combo);
    if (!action) return;
    if (e.repeat && !REPEATS.has(action)) return;
    // Typing: letters type. Only the few app-wide actions with a modifier work there.
    const typing = isTyping(e.target);
    const inDialog = e.target instanceof Element && !!e.target.closest("dialog, [role='dialog'], [aria-modal='true']");
    if (typing || inDialog) {
      if (!WHILE_TYPING.has(action) || !/(^|\+)(Mod|Ctrl|Alt)\+/.test(combo)) return;
    }
    if (this.run(action)) e.preventDefault();
  };

  /** Forget everything (tests). */
  reset() {
    this.#entries = [];
    this.navigation = null;
    this.keymap = effectiveKeymap(null, this.mac);
  }
}

export const commands = new Commands();
