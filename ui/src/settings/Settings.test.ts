import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { account, defaultSettings, type MockIpc } from "../lib/ipc/mock";
import { scenario } from "../test-fixtures";
import { minutesToTime, timeToMinutes } from "./notifyOptions";

async function openSettings(ipc: MockIpc = scenario()) {
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

async function section(name: string) {
  const dialog = document.querySelector<HTMLDialogElement>("dialog#settings")!;
  await fireEvent.click(within(dialog).getByRole("tab", { name }));
  return document.querySelector<HTMLElement>("#settings-panel")!;
}

const box = (id: string) => document.querySelector<HTMLInputElement>(`#${id}`)!;
const select = (id: string) => document.querySelector<HTMLSelectElement>(`#${id}`)!;
const lastSaved = (ipc: MockIpc) => ipc.calls.saveSettings.at(-1)!;

afterEach(() => localStorage.clear());

describe("settings screen", () => {
  it("lists its sections on the left and switches with a click or the arrow keys", async () => {
    const { dialog } = await openSettings();
    const tabs = within(dialog).getAllByRole("tab");
    expect(tabs.map((t) => t.textContent)).toEqual(["Accounts", "Notifications", "Shortcuts", "Appearance", "Storage", "Dixa", "About"]);
    expect(within(dialog).getByRole("tab", { selected: true }).textContent).toBe("Notifications");
    let panel = await section("Storage");
    expect(panel.dataset.section).toBe("storage");
    expect(within(panel).getByRole("heading", { name: "Storage" })).toBeTruthy();
    const storageTab = within(dialog).getByRole("tab", { name: "Storage" });
    storageTab.focus();
    await fireEvent.keyDown(storageTab, { key: "ArrowDown" });
    panel = document.querySelector<HTMLElement>("#settings-panel")!;
    expect(panel.dataset.section).toBe("dixa");
    expect(document.activeElement?.id).toBe("settings-tab-dixa");
    await fireEvent.keyDown(document.activeElement!, { key: "Home" });
    expect(document.querySelector<HTMLElement>("#settings-panel")!.dataset.section).toBe("accounts");
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
});

describe("notification settings", () => {
  it("shows availability as a dot next to the agent's name, from the shell's settings", async () => {
    const settings = defaultSettings();
    settings.availability = "away";
    render(App, { ipc: scenario({ settings }) });
    await screen.findByText("Alice Martin");
    await vi.waitFor(() => expect(document.querySelector("#availability-indicator")?.getAttribute("data-availability")).toBe("away"));
    expect(screen.getByText("You are away")).toBeTruthy();
  });

  it("shows the settings the shell holds", async () => {
    const settings = defaultSettings();
    settings.notifications = { ...settings.notifications, mentions: false, quietFromMinute: 22 * 60 + 30, quietToMinute: 6 * 60, sound: true, soundName: "bell", repeatMinutes: 5 };
    await openSettings(scenario({ settings }));
    expect(box("setting-notifications").checked).toBe(true);
    expect(box("setting-new-conversations").checked).toBe(true);
    expect(box("setting-assigned").checked).toBe(true);
    expect(box("setting-messages").checked).toBe(true);
    expect(box("setting-mentions").checked).toBe(false);
    expect(box("quiet-enabled").checked).toBe(true);
    expect(box("quiet-from").value).toBe("22:30");
    expect(box("quiet-to").value).toBe("06:00");
    expect(document.querySelector("#quiet-note")?.textContent).toBe("Quiet every night from 22:30 until 06:00 the next morning.");
    expect(box("setting-sound").checked).toBe(true);
    expect(select("sound-name").value).toBe("bell");
    expect(select("repeat-minutes").value).toBe("5");
    expect(select("availability").value).toBe("online");
  });

  it("saves the whole settings object when a toggle changes", async () => {
    const { ipc } = await openSettings();
    await fireEvent.click(box("setting-sound"));
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(1));
    expect(ipc.calls.saveSettings[0]).toEqual({ ...defaultSettings(), notifications: { ...defaultSettings().notifications, sound: true } });
    await fireEvent.click(box("setting-assigned"));
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(2));
    expect(ipc.calls.saveSettings[1]!.notifications).toMatchObject({ sound: true, assignedToMe: false, enabled: true });
    await fireEvent.click(box("setting-mentions"));
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(3));
    expect(ipc.state.settings.notifications).toMatchObject({ sound: true, assignedToMe: false, mentions: false });
  });

  it("turning notifications off disables everything that depends on them", async () => {
    const { ipc } = await openSettings();
    await fireEvent.click(box("setting-notifications"));
    await vi.waitFor(() => expect(lastSaved(ipc).notifications.enabled).toBe(false));
    for (const id of ["setting-messages", "setting-mentions", "setting-sound", "quiet-enabled", "quiet-from", "sound-name", "repeat-minutes"]) {
      expect(document.querySelector<HTMLInputElement | HTMLSelectElement>(`#${id}`)!.disabled, id).toBe(true);
    }
    expect(select("availability").disabled).toBe(false);
  });

  it("saves quiet hours as minutes since local midnight", async () => {
    const { ipc } = await openSettings();
    expect(box("quiet-from").disabled).toBe(true);
    await fireEvent.click(box("quiet-enabled"));
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(1));
    expect(lastSaved(ipc).notifications).toMatchObject({ quietFromMinute: 22 * 60, quietToMinute: 7 * 60 });
    expect(box("quiet-from").value).toBe("22:00");
    expect(box("quiet-from").disabled).toBe(false);

    await fireEvent.change(box("quiet-from"), { target: { value: "13:30" } });
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(2));
    expect(lastSaved(ipc).notifications).toMatchObject({ quietFromMinute: 13 * 60 + 30, quietToMinute: 7 * 60 });
    await fireEvent.change(box("quiet-to"), { target: { value: "17:05" } });
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(3));
    expect(lastSaved(ipc).notifications).toMatchObject({ quietFromMinute: 810, quietToMinute: 17 * 60 + 5 });
    expect(document.querySelector("#quiet-note")?.textContent).toBe("Quiet every day from 13:30 to 17:05.");

    // A time being typed (empty or partial) is not saved and the saved one comes back.
    await fireEvent.change(box("quiet-to"), { target: { value: "" } });
    expect(ipc.calls.saveSettings).toHaveLength(3);
    expect(box("quiet-to").value).toBe("17:05");

    await fireEvent.click(box("quiet-enabled"));
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(4));
    expect(lastSaved(ipc).notifications).toMatchObject({ quietFromMinute: null, quietToMinute: null });
    expect(box("quiet-from").value).toBe("");
  });

  it("shows the shell's refusal of quiet hours and keeps the saved ones", async () => {
    const ipc = scenario({ fail: { saveSettings: { code: "invalid_input", message: "Quiet hours are times of day.", field: "quietHours" } } });
    await openSettings(ipc);
    await fireEvent.click(box("quiet-enabled"));
    expect((await screen.findByRole("alert")).textContent).toBe("Not saved: Quiet hours are times of day.");
    expect(box("quiet-enabled").checked).toBe(false);
    expect(box("quiet-from").value).toBe("");
    expect(ipc.state.settings.notifications.quietFromMinute).toBeNull();
  });

  it("offers the notification sounds by readable names and saves the chosen one", async () => {
    const { ipc } = await openSettings();
    expect(select("sound-name").disabled).toBe(true);
    await fireEvent.click(box("setting-sound"));
    await vi.waitFor(() => expect(select("sound-name").disabled).toBe(false));
    const options = [...select("sound-name").options].map((o) => [o.value, o.textContent]);
    expect(options).toEqual([
      ["message-new-instant", "Message"],
      ["bell", "Bell"],
      ["complete", "Chime"],
      ["dialog-information", "Information"],
    ]);
    await fireEvent.change(select("sound-name"), { target: { value: "complete" } });
    await vi.waitFor(() => expect(lastSaved(ipc).notifications.soundName).toBe("complete"));
    expect(lastSaved(ipc).notifications.sound).toBe(true);
  });

  it("repeats until read every 2, 5, 10 or 15 minutes, or never", async () => {
    const { ipc } = await openSettings();
    expect([...select("repeat-minutes").options].map((o) => o.textContent)).toEqual([
      "Off",
      "Every 2 minutes",
      "Every 5 minutes",
      "Every 10 minutes",
      "Every 15 minutes",
    ]);
    await fireEvent.change(select("repeat-minutes"), { target: { value: "10" } });
    await vi.waitFor(() => expect(lastSaved(ipc).notifications.repeatMinutes).toBe(10));
    await fireEvent.change(select("repeat-minutes"), { target: { value: "0" } });
    await vi.waitFor(() => expect(lastSaved(ipc).notifications.repeatMinutes).toBe(0));
  });

  it("keeps a repeat interval set elsewhere as a choice", async () => {
    const settings = defaultSettings();
    settings.notifications.repeatMinutes = 30;
    await openSettings(scenario({ settings }));
    expect(select("repeat-minutes").value).toBe("30");
    expect(select("repeat-minutes").selectedOptions[0]!.textContent).toBe("Every 30 minutes");
  });

  it("changes availability and the header dot follows", async () => {
    const { ipc } = await openSettings();
    await fireEvent.change(select("availability"), { target: { value: "away" } });
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
    await fireEvent.change(select("availability"), { target: { value: "away" } });
    expect((await screen.findByRole("alert")).textContent).toBe("Availability not changed: Offline.");
    expect(select("availability").value).toBe("online");
    expect(document.querySelector("#availability-indicator")?.getAttribute("data-availability")).toBe("online");
  });
});

describe("accounts settings", () => {
  const two = (over: Parameters<typeof scenario>[0] = {}) =>
    scenario({
      accounts: [account(), account({ id: "acc-2", userId: "sam@parley.test", displayName: "Sam Support", server: "https://api.kommunicate.io" })],
      ...over,
    });

  it("lists every signed-in account with its server and connection", async () => {
    await openSettings(two());
    const panel = await section("Accounts");
    const rows = await vi.waitFor(() => {
      const r = [...panel.querySelectorAll<HTMLElement>("[data-account-id]")];
      expect(r).toHaveLength(2);
      return r;
    });
    expect(rows[0]!.textContent).toContain("Ada Agent");
    expect(rows[0]!.textContent).toContain("This window");
    expect(rows[1]!.textContent).toContain("Sam Support");
    expect(rows[1]!.textContent).toContain("https://api.kommunicate.io");
    expect(rows[1]!.textContent).toContain("Online");
  });

  it("signs another account out after a confirmation", async () => {
    const ipc = two();
    await openSettings(ipc);
    const panel = await section("Accounts");
    await fireEvent.click(await vi.waitFor(() => panel.querySelector<HTMLButtonElement>('[data-signout="acc-2"]')!));
    expect(ipc.calls.signOut).toEqual([]);
    expect(within(panel).getByText("Sign out of Sam Support?")).toBeTruthy();
    await fireEvent.click(panel.querySelector<HTMLButtonElement>('[data-confirm-signout="acc-2"]')!);
    await vi.waitFor(() => expect(ipc.calls.signOut).toEqual(["acc-2"]));
    await vi.waitFor(() => expect(panel.querySelectorAll("[data-account-id]")).toHaveLength(1));
    expect(document.querySelector("dialog#settings")).toBeTruthy();
  });

  it("shows why signing out failed", async () => {
    await openSettings(two({ fail: { signOut: { code: "storage", message: "Keyring locked.", field: null } } }));
    const panel = await section("Accounts");
    await fireEvent.click(await vi.waitFor(() => panel.querySelector<HTMLButtonElement>('[data-signout="acc-2"]')!));
    await fireEvent.click(panel.querySelector<HTMLButtonElement>('[data-confirm-signout="acc-2"]')!);
    expect((await within(panel).findByRole("alert")).textContent).toBe("Could not sign out of Sam Support: Keyring locked.");
  });

  it("adds an account through the sign-in screen", async () => {
    await openSettings();
    const panel = await section("Accounts");
    await fireEvent.click(within(panel).getByRole("button", { name: /Add an account/ }));
    expect(await screen.findByRole("heading", { name: /sign in/i })).toBeTruthy();
    expect(document.querySelector("dialog#settings")).toBeNull();
  });
});

describe("appearance settings", () => {
  it("saves the chosen theme in the settings and shows it at once", async () => {
    const { ipc } = await openSettings();
    const panel = await section("Appearance");
    expect(box("theme-system").checked).toBe(true);
    await fireEvent.click(within(panel).getByLabelText(/^Dark/));
    expect(document.documentElement.dataset.theme).toBe("dark");
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(1));
    expect(lastSaved(ipc)).toEqual({ ...defaultSettings(), theme: "dark" });
    expect(box("theme-dark").checked).toBe(true);
    // The rail's button follows and cycles on from there, saving too.
    const rail = document.querySelector<HTMLButtonElement>("button.rail-button[data-theme-choice]")!;
    expect(rail.dataset.themeChoice).toBe("dark");
    await fireEvent.click(rail);
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(2));
    expect(lastSaved(ipc).theme).toBe("system");
    expect(box("theme-system").checked).toBe(true);
  });

  it("applies the theme from the settings file when the app starts", async () => {
    const settings = defaultSettings();
    settings.theme = "dark";
    render(App, { ipc: scenario({ settings }) });
    await screen.findByText("Alice Martin");
    await vi.waitFor(() => expect(document.documentElement.dataset.theme).toBe("dark"));
    expect(localStorage.getItem("parley.theme")).toBe("dark");
  });

  it("puts the theme back when the shell refuses to save it", async () => {
    const ipc = scenario({ fail: { saveSettings: { code: "storage", message: "Read-only file system.", field: null } } });
    await openSettings(ipc);
    const panel = await section("Appearance");
    await fireEvent.click(within(panel).getByLabelText(/^Light/));
    expect((await screen.findByRole("alert")).textContent).toBe("Not saved: Read-only file system.");
    await vi.waitFor(() => expect(document.documentElement.dataset.theme).toBe("system"));
    expect(box("theme-system").checked).toBe(true);
    expect(box("theme-light").checked).toBe(false);
  });

  it("lists the languages the app has and saves the choice", async () => {
    const { ipc } = await openSettings();
    await section("Appearance");
    expect([...select("locale").options].map((o) => [o.value, o.textContent])).toEqual([["en", "English"]]);
    await fireEvent.change(select("locale"), { target: { value: "en" } });
    await vi.waitFor(() => expect(ipc.calls.saveSettings).toHaveLength(1));
    expect(lastSaved(ipc).locale).toBe("en");
  });
});

describe("storage settings", () => {
  it("shows the database and attachment sizes and the data folder", async () => {
    const { ipc } = await openSettings();
    await section("Storage");
    await vi.waitFor(() => expect(document.querySelector("#storage-database")?.textContent).toBe("2.3 MB"));
    expect(document.querySelector("#storage-attachments")?.textContent).toBe("500 KB");
    expect(document.querySelector("#storage-folder")?.textContent).toBe("/home/agent/.local/share/io.parley.desktop");
    expect(ipc.calls.people).toContainEqual(["storageInfo"]);
  });

  it("clears the cache only after a confirmation that says what is kept", async () => {
    const { ipc } = await openSettings();
    const panel = await section("Storage");
    await fireEvent.click(box("clear-cache"));
    const question = within(panel).getByRole("alertdialog");
    expect(question.textContent).toContain("Clear the cache?");
    expect(question.textContent).toContain("Queued messages, drafts and canned responses are kept.");
    expect(document.activeElement?.id).toBe("clear-cache-confirm");
    await fireEvent.click(box("clear-cache-cancel"));
    expect(ipc.calls.people.filter(([c]) => c === "clearCache")).toEqual([]);
    expect(within(panel).queryByRole("alertdialog")).toBeNull();

    await fireEvent.click(box("clear-cache"));
    await fireEvent.click(box("clear-cache-confirm"));
    expect((await within(panel).findByRole("status")).textContent).toBe("Cache cleared. Conversations are being fetched again.");
    expect(ipc.calls.people.filter(([c]) => c === "clearCache")).toEqual([["clearCache"]]);
    // The sizes are read again after clearing.
    expect(ipc.calls.people.filter(([c]) => c === "storageInfo")).toHaveLength(2);
  });

  it("keeps the confirmation open with the shell's error when clearing fails", async () => {
    const ipc = scenario({ failPeople: { clearCache: { code: "storage", message: "Database is locked.", field: null } } });
    await openSettings(ipc);
    const panel = await section("Storage");
    await fireEvent.click(box("clear-cache"));
    await fireEvent.click(box("clear-cache-confirm"));
    expect((await within(panel).findByRole("alert")).textContent).toBe("The cache was not cleared: Database is locked.");
    expect(within(panel).getByRole("alertdialog")).toBeTruthy();
  });
});

describe("about", () => {
  it("shows the version and the logs folder, and opens it", async () => {
    const { ipc } = await openSettings();
    const panel = await section("About");
    await vi.waitFor(() => expect(document.querySelector("#about-version")?.textContent).toBe("0.0.0-test"));
    expect(document.querySelector("#about-logs")?.textContent).toBe("/home/agent/.local/share/io.parley.desktop/logs");
    await fireEvent.click(within(panel).getByRole("button", { name: "Open logs folder" }));
    await vi.waitFor(() => expect(ipc.calls.people).toContainEqual(["openLogsFolder"]));
    expect(within(panel).queryByRole("alert")).toBeNull();
  });

  it("says why the logs folder could not be opened", async () => {
    const ipc = scenario({ failPeople: { openLogsFolder: { code: "internal", message: "Could not open the folder: no file manager", field: null } } });
    await openSettings(ipc);
    const panel = await section("About");
    await fireEvent.click(within(panel).getByRole("button", { name: "Open logs folder" }));
    expect((await within(panel).findByRole("alert")).textContent).toBe(
      "The logs folder could not be opened: Could not open the folder: no file manager",
    );
  });
});

describe("quiet hours as times of day", () => {
  it("converts between minutes since midnight and time-input values", () => {
    expect(minutesToTime(0)).toBe("00:00");
    expect(minutesToTime(7 * 60 + 5)).toBe("07:05");
    expect(minutesToTime(23 * 60 + 59)).toBe("23:59");
    expect(timeToMinutes("22:30")).toBe(1350);
    expect(timeToMinutes("7:05")).toBe(425);
    expect(timeToMinutes("06:00:00")).toBe(360);
    for (const bad of ["", "24:00", "12:60", "noon", "12"]) expect(timeToMinutes(bad), bad).toBeNull();
  });
});
