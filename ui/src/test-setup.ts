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

import { afterEach } from "vitest";
import { cleanup } from "@testing-library/svelte";

// Unmount what each test rendered (auto-cleanup needs vitest globals, which we do not use).
afterEach(() => cleanup());
