// jsdom lacks matchMedia; the theme code asks it for the system preference.
if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener() {},
      removeListener() {},
      addEventListener() {},
      removeEventListener() {},
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

// jsdom has <dialog> but not its methods: enough of them for the lightbox and settings.
if (typeof HTMLDialogElement !== "undefined" && !HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.show = function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
    if (!this.hasAttribute("open")) return;
    this.removeAttribute("open");
    this.dispatchEvent(new Event("close"));
  };
  Object.defineProperty(HTMLDialogElement.prototype, "open", {
    get(this: HTMLDialogElement) {
      return this.hasAttribute("open");
    },
    configurable: true,
  });
}

import { afterEach, beforeAll } from "vitest";
import { loadAllScreens } from "./lib/lazy.svelte";

// The app loads some screens lazily (lib/lazy.svelte.ts); tests render them at once.
// (Generous time: the first import transforms every screen, slow on a busy machine.)
beforeAll(() => loadAllScreens(), 120_000);
import { cleanup } from "@testing-library/svelte";

// Unmount what each test rendered (auto-cleanup needs vitest globals, which we do not use).
afterEach(() => cleanup());
