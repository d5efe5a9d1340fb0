import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { defaultSettings } from "../lib/ipc/mock";
import { scenario } from "../test-fixtures";

async function openSettings(ipc = scenario()) {
  render(App, { ipc });
  await screen.findByText("Alice Martin");
  const button = document.querySelector<HTMLButtonElement>("#settings-button")!;
  expect(button.getAttribute("aria-label")).toBe("Settings");
  button.focus();
  await fireEvent.click(button);
  const dialog = document.querySelector<HTMLDialogElement>("dialog#settings")!;
  expect(dialog.open).toBe(true);
  await vi.waitFor(() => expect(dialog.querySelector("#availability")).toBeTruthy());
  return { ipc, dialog, button };
}

const box = (id: string) => document.querySelector<HTMLInputElement>(`#${id}`)!;

describe("settings", () => {
  it("shows availability as a dot next to the agent's name, from the shell's settings", async () => {
    const settings = defaultSettings();
    settings.availability = "away";
    render(App, { ipc: scenario({ settings }) });
    await screen.findByText("Alice Martin");
    await vi.waitFor(() => expect(document.querySelector("#availability-indicator")?.getAttribute("data-availability")).toBe("away"));
    expect(screen.getByText("You are away")).toBeTruthy();
  });

  it("shows the notification settings the shell holds, and the theme control", async () => {
    const { dialog } = await openSettings();
    expect(within(dialog).getByRole("heading", { name: "Settings" })).toBeTruthy();
    expect(box("setting-notifications").checked).toBe(true);
    expect(box("setting-new-conversations").checked).toBe(true);
    expect(box("setting-assigned").checked).toBe(true);
    expect(box("setting-messages").checked).toBe(true);
    expect(box("setting-sound").checked).toBe(false);
    expect(document.querySelector<HTMLSelectElement>("#availability")!.value).toBe("online");
    expect(within(dialog).getByRole("button", { name: /^Theme: / })).toBeTruthy();
  });

  it("saves the whole settings object when a toggle changes", async () => {
    const { ipc } = await openSettings();
    await fireEvent.click(box("setting-sound"));
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(1));
    expect(ipc.calls.saveSettings[0]).toEqual({ ...defaultSettings(), notifications: { ...defaultSettings().notifications, sound: true } });
    await fireEvent.click(box("setting-assigned"));
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(2));
    expect(ipc.calls.saveSettings[1]!.notifications).toMatchObject({ sound: true, assignedToMe: false, enabled: true });
  });

  it("turning notifications off disables the kinds of notification below it", async () => {
    const { ipc } = await openSettings();
    await fireEvent.click(box("setting-notifications"));
    await vi.waitFor(() => expect(ipc.calls.saveSettings.at(-1)?.notifications.enabled).toBe(false));
    expect(box("setting-messages").disabled).toBe(true);
    expect(box("setting-sound").disabled).toBe(true);
  });

  it("changes availability and the header dot follows", async () => {
    const { ipc } = await openSettings();
    const select = document.querySelector<HTMLSelectElement>("#availability")!;
    await fireEvent.change(select, { target: { value: "away" } });
    await vi.waitFor(() => expect(ipc.calls.setAvailability).toEqual(["away"]));
    expect(document.querySelector("#availability-indicator")?.getAttribute("data-availability")).toBe("away");
    expect(ipc.calls.saveSettings).toEqual([]);
  });

  it("puts a setting back and says why when saving fails", async () => {
    const ipc = scenario({ fail: { saveSettings: { code: "storage", message: "Disk full.", field: null } } });
    await openSettings(ipc);
    await fireEvent.click(box("setting-sound"));
    expect((await screen.findByRole("alert")).textContent).toBe("Not saved: Disk full.");
    expect(box("setting-sound").checked).toBe(false);
  });

  it("puts availability back when the shell refuses it", async () => {
    const ipc = scenario({ fail: { setAvailability: { code: "unreachable", message: "Offline.", field: null } } });
    await openSettings(ipc);
    const select = document.querySelector<HTMLSelectElement>("#availability")!;
    await fireEvent.change(select, { target: { value: "away" } });
    expect((await screen.findByRole("alert")).textContent).toBe("Availability not changed: Offline.");
    expect(select.value).toBe("online");
    expect(document.querySelector("#availability-indicator")?.getAttribute("data-availability")).toBe("online");
  });

  it("closes on Escape or the close button and gives focus back to the settings button", async () => {
    const { dialog, button } = await openSettings();
    await fireEvent.keyDown(dialog, { key: "Escape" });
    await vi.waitFor(() => expect(document.querySelector("dialog#settings")).toBeNull());
    expect(document.activeElement).toBe(button);
    await fireEvent.click(button);
    await fireEvent.click(screen.getByRole("button", { name: "Close settings" }));
    await vi.waitFor(() => expect(document.querySelector("dialog#settings")).toBeNull());
    expect(document.activeElement).toBe(button);
  });

  it("the theme control in settings and the one in the rail stay in step", async () => {
    localStorage.clear();
    await openSettings();
    const inPanel = document.querySelector<HTMLButtonElement>("#setting-theme")!;
    await fireEvent.click(inPanel);
    expect(document.documentElement.dataset.theme).toBe("light");
    expect(inPanel.textContent).toContain("Light");
    const rail = [...document.querySelectorAll<HTMLButtonElement>("button.rail-button[data-theme-choice]")];
    expect(rail).toHaveLength(1);
    expect(rail[0]!.dataset.themeChoice).toBe("light");
    localStorage.clear();
  });
});
