import { afterEach, describe, expect, it, vi } from "vitest";
import { tick } from "svelte";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import App from "../../App.svelte";
import Ticks from "../../conversation/Ticks.svelte";
import { scenario } from "../../test-fixtures";
import { addCatalogue, locale, locales, onLocaleChange, setLocale, t, tn } from ".";

// A tiny second catalogue, only for these tests (a few keys: the rest falls back to English).
addCatalogue("fr", {
  "inbox.view.mine": "Les miens",
  "inbox.search": "Rechercher des messages",
  "shell.connection.online": "En ligne",
  "shell.noConversation": "Aucune conversation ouverte",
  "settings.language.label": "Langue",
  "messages.info.state.queued": "En attente",
  "groups.memberCount": "{count} membre",
  "groups.memberCount_other": "{count} membres",
});

afterEach(() => setLocale("en"));

describe("i18n", () => {
  it("looks words up in the chosen locale, falling back to English, then to the key", () => {
    expect(locales()[0]).toBe("en");
    expect(locales()).toContain("fr");
    setLocale("fr");
    expect(locale()).toBe("fr");
    expect(document.documentElement.lang).toBe("fr");
    expect(t("inbox.view.mine")).toBe("Les miens");
    expect(t("inbox.view.all")).toBe("All");
    expect(tn("groups.memberCount", 3)).toBe("3 membres");
    setLocale("xx");
    expect(locale()).toBe("en");
    expect(t("inbox.view.mine")).toBe("Mine");
    expect(() => addCatalogue("en", {})).toThrow();
  });

  it("tells listeners about each change once, and not about a locale that is already chosen", () => {
    const heard: string[] = [];
    const stop = onLocaleChange((l) => heard.push(l));
    setLocale("en");
    setLocale("fr");
    setLocale("fr");
    setLocale("en");
    stop();
    setLocale("fr");
    expect(heard).toEqual(["fr", "en"]);
  });

  it("re-renders a mounted component in the new locale, in place", async () => {
    const { container } = render(Ticks, { state: "queued" });
    const ticks = container.querySelector<HTMLElement>(".ticks")!;
    expect(ticks.textContent?.trim()).toBe("Queued");
    expect(ticks.title).toBe("Queued");
    setLocale("fr");
    await tick();
    // The same element, not a re-created one: only the words changed.
    expect(container.querySelector(".ticks")).toBe(ticks);
    expect(ticks.textContent?.trim()).toBe("En attente");
    expect(ticks.title).toBe("En attente");
    setLocale("en");
    await tick();
    expect(ticks.textContent?.trim()).toBe("Queued");
  });

  it("switches the whole app to the language picked in settings, keeping the settings open", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    expect(screen.getByRole("tab", { name: /Mine/ })).toBeTruthy();
    await fireEvent.click(document.querySelector<HTMLButtonElement>("#settings-button")!);
    const dialog = document.querySelector<HTMLDialogElement>("dialog#settings")!;
    await vi.waitFor(() => expect(dialog.querySelector("#availability")).toBeTruthy());
    await fireEvent.click(within(dialog).getByRole("tab", { name: "Appearance" }));
    const select = document.querySelector<HTMLSelectElement>("#locale")!;
    expect([...select.options].map((o) => o.value)).toContain("fr");

    await fireEvent.change(select, { target: { value: "fr" } });
    await vi.waitFor(() => expect(ipc.calls.saveSettings.at(-1)?.locale).toBe("fr"));
    // The inbox, the status bar, the empty pane and the open settings dialog all follow.
    expect(screen.getByRole("tab", { name: /Les miens/ })).toBeTruthy();
    expect(document.querySelector<HTMLInputElement>("#inbox-search")!.placeholder).toBe("Rechercher des messages");
    expect(screen.getByText("En ligne")).toBeTruthy();
    expect(screen.getByText("Aucune conversation ouverte")).toBeTruthy();
    expect(document.querySelector("dialog#settings")).toBe(dialog);
    expect(dialog.open).toBe(true);
    expect(within(dialog).getByText("Langue")).toBeTruthy();

    await fireEvent.change(select, { target: { value: "en" } });
    await vi.waitFor(() => expect(screen.getByRole("tab", { name: /Mine/ })).toBeTruthy());
    expect(screen.getByText("Online")).toBeTruthy();
  });
});
