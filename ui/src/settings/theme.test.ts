import { describe, expect, it } from "vitest";
import { applyTheme, effectiveTheme } from "./theme";

describe("theme", () => {
  it("puts the choice on the root element", () => {
    const root = document.createElement("html");
    applyTheme("dark", root);
    expect(root.dataset.theme).toBe("dark");
  });

  it("resolves system to the OS preference", () => {
    expect(effectiveTheme("light")).toBe("light");
    expect(effectiveTheme("dark")).toBe("dark");
    // jsdom's matchMedia (test-setup) reports no dark preference.
    expect(effectiveTheme("system")).toBe("light");
  });
});

describe("theme persistence", () => {
  it("remembers the chosen theme and cycles system → light → dark", async () => {
    const { loadTheme, saveTheme, nextTheme } = await import("./theme");
    localStorage.clear();
    expect(loadTheme()).toBe("system");
    saveTheme("dark");
    expect(loadTheme()).toBe("dark");
    expect(nextTheme("system")).toBe("light");
    expect(nextTheme("light")).toBe("dark");
    expect(nextTheme("dark")).toBe("system");
  });
});
