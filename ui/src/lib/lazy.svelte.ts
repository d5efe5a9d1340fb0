// Screens the first paint does not need live in their own chunks: the cached inbox paints
// sooner (less script to parse before it), and each chunk is fetched once, when first needed
// or when the app is idle after painting (so opening a conversation does not wait for it).

/** A module loaded on first use. `get()` starts loading and returns it once it is there. */
export class Lazy<T> {
  #value = $state<T | null>(null);
  #promise: Promise<T> | null = null;
  #load: () => Promise<T>;

  constructor(load: () => Promise<T>) {
    this.#load = load;
  }

  load(): Promise<T> {
    return (this.#promise ??= this.#load().then((v) => {
      this.#value = v;
      return v;
    }));
  }

  /** The module, or null while it loads (reactive: the caller renders again once loaded). */
  get(): T | null {
    if (!this.#value) void this.load();
    return this.#value;
  }
}

export const conversationPane = new Lazy(() => import("../conversation/ConversationPane.svelte"));
export const settingsPanel = new Lazy(() => import("../settings/SettingsPanel.svelte"));
export const groupsScreen = new Lazy(() => import("../groups/screen"));
export const commandPalette = new Lazy(() => import("../palette/CommandPalette.svelte"));
export const signInScreen = new Lazy(() => import("../accounts/SignIn.svelte"));

/** Every lazy screen, loaded (tests render synchronously with them). */
export function loadAllScreens(): Promise<unknown> {
  return Promise.all([conversationPane, settingsPanel, groupsScreen, commandPalette, signInScreen].map((l) => l.load()));
}

/** Fetch the chunks a signed-in agent opens first, once the browser is idle. */
export function preloadScreens(): void {
  const idle: (cb: () => void) => void =
    typeof requestIdleCallback === "function" ? (cb) => requestIdleCallback(cb, { timeout: 2000 }) : (cb) => setTimeout(cb, 200);
  idle(() => {
    void conversationPane.load();
    idle(() => {
      void commandPalette.load();
      void settingsPanel.load();
      void groupsScreen.load();
    });
  });
}
