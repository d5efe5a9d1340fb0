// The command palette and the keyboard in the whole app (shell, inbox, conversation, settings).
import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import App from "../App.svelte";
import { scenario, settle } from "../test-fixtures";
import { commands } from "../shortcuts/commands.svelte";
import { matchCommand } from "./match";

afterEach(() => commands.reset());

const ctrlK = () => fireEvent.keyDown(document.body, { key: "k", code: "KeyK", ctrlKey: true });
const palette = () => document.querySelector<HTMLInputElement>("#palette-input");
const options = () => [...document.querySelectorAll<HTMLElement>("#palette-list [role='option']")];
const active = () => document.querySelector<HTMLElement>("#palette-list [aria-selected='true']");

async function openAlice() {
  await fireEvent.click(await screen.findByText("Alice Martin"));
  await screen.findByRole("heading", { name: "Alice Martin" });
}

async function type(text: string) {
  await fireEvent.input(palette()!, { target: { value: text } });
}

describe("command palette", () => {
  it("opens with Ctrl+K, even from the reply box, and closes with Escape giving focus back", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await openAlice();
    const reply = document.querySelector<HTMLTextAreaElement>("textarea")!;
    reply.focus();
    await fireEvent.keyDown(reply, { key: "k", code: "KeyK", ctrlKey: true });
    expect(palette()).toBeTruthy();
    expect(document.activeElement).toBe(palette());
    expect(screen.getByRole("dialog", { name: "Command palette" })).toBeTruthy();
    await fireEvent.keyDown(palette()!, { key: "Escape" });
    await settle();
    expect(palette()).toBeNull();
    expect(document.activeElement).toBe(reply);
  });

  it("runs an action typed in it: resolve reaches the platform call", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await openAlice();
    await ctrlK();
    await type("resolve");
    expect(active()?.dataset.command).toBe("resolve");
    expect(active()?.textContent).toContain("E");
    await fireEvent.keyDown(palette()!, { key: "Enter" });
    await vi.waitFor(() => expect(ipc.calls.setStatus).toEqual([{ conversationId: "g:1", status: "resolved" }]));
    expect(palette()).toBeNull();
  });

  it("lists only what applies: no conversation actions without a conversation, reopen on a closed one", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    await ctrlK();
    let ids = options().map((o) => o.dataset.command).filter(Boolean);
    expect(ids).toContain("openSettings");
    expect(ids).toContain("viewAll");
    expect(ids).not.toContain("resolve");
    expect(ids).not.toContain("palette");
    await fireEvent.keyDown(palette()!, { key: "Escape" });
    ipc.emitOpen({ accountId: "acc-1", conversationId: "g:5" });
    await screen.findByRole("heading", { name: "Eve Closed" });
    await ctrlK();
    ids = options().map((o) => o.dataset.command).filter(Boolean);
    expect(ids).toContain("reopen");
    expect(ids).not.toContain("resolve");
  });

  it("goes to any cached conversation by customer name or e-mail, with the keyboard", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    await ctrlK();
    await type("alice@example");
    await vi.waitFor(() => expect(options().some((o) => o.dataset.conversation === "g:1")).toBe(true));
    // Down to the conversation (after any matching commands), Enter opens it.
    while (active()?.dataset.conversation !== "g:1") await fireEvent.keyDown(palette()!, { key: "ArrowDown" });
    await fireEvent.keyDown(palette()!, { key: "Enter" });
    expect(await screen.findByRole("heading", { name: "Alice Martin" })).toBeTruthy();
    expect(palette()).toBeNull();
    await ctrlK();
    await type("closed eve");
    await vi.waitFor(() => expect(options().map((o) => o.dataset.conversation)).toContain("g:5"));
    await type("nothing like this");
    await vi.waitFor(() => expect(screen.getByText("Nothing matches “nothing like this”.")).toBeTruthy());
  });

  it("says so when conversations cannot be looked up, and still offers the actions", async () => {
    const ipc = scenario({ failPeople: { findConversations: { code: "storage", message: "disk on fire", field: null } } });
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    await ctrlK();
    await type("settings");
    expect(await screen.findByText("Could not look up conversations: disk on fire")).toBeTruthy();
    expect(active()?.dataset.command).toBe("openSettings");
  });
});

describe("keyboard-first triage", () => {
  it("resolves with E and then opens the next conversation with Shift+E", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await openAlice();
    await fireEvent.keyDown(document.body, { key: "E", shiftKey: true });
    expect(await screen.findByRole("heading", { name: "Bob Stone" })).toBeTruthy();
    expect(ipc.calls.setStatus).toEqual([{ conversationId: "g:1", status: "resolved" }]);
    await fireEvent.keyDown(document.body, { key: "e" });
    await vi.waitFor(() => expect(ipc.calls.setStatus).toHaveLength(2));
    expect(ipc.calls.setStatus[1]).toEqual({ conversationId: "g:2", status: "resolved" });
  });

  it("assigns to me with A, focuses the reply box with R, and opens the assign menu with Shift+A", async () => {
    const ipc = scenario();
    render(App, { ipc });
    ipc.emitOpen({ accountId: "acc-1", conversationId: "g:4" });
    await screen.findByRole("heading", { name: "Dan Unassigned" });
    await fireEvent.keyDown(document.body, { key: "a" });
    await vi.waitFor(() => expect(ipc.calls.assign).toEqual([{ conversationId: "g:4", assignee: "agent@parley.test" }]));
    await fireEvent.keyDown(document.body, { key: "r" });
    expect(document.activeElement?.tagName).toBe("TEXTAREA");
    // Typing "e" in the reply box types; it does not resolve.
    await fireEvent.keyDown(document.activeElement!, { key: "e" });
    expect(ipc.calls.setStatus).toEqual([]);
    (document.activeElement as HTMLElement).blur();
    await fireEvent.keyDown(document.body, { key: "A", shiftKey: true });
    expect(await screen.findByRole("listbox", { name: /agent/i })).toBeTruthy();
  });

  it("a shortcut changed in settings runs the action; the old keys no longer do", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await openAlice();
    await fireEvent.click(document.querySelector("#settings-button")!);
    await fireEvent.click(await screen.findByRole("tab", { name: "Shortcuts" }));
    await fireEvent.click(await screen.findByRole("button", { name: "Change the shortcut for Resolve conversation" }));
    const recorder = document.querySelector<HTMLElement>("#shortcut-record-resolve")!;
    expect(document.activeElement).toBe(recorder);
    // Keys another action has are refused with the reason.
    await fireEvent.keyDown(recorder, { key: "j" });
    expect(screen.getByRole("alert").textContent).toContain("Next conversation");
    await fireEvent.keyDown(recorder, { key: "D", shiftKey: true });
    await vi.waitFor(() => expect(ipc.calls.saveSettings.at(-1)?.shortcuts).toEqual({ resolve: "Shift+D" }));
    expect(document.querySelector('[data-action="resolve"] kbd')?.textContent).toBe("Shift+D");
    await fireEvent.click(screen.getByRole("button", { name: "Close settings" }));
    await settle();
    await fireEvent.keyDown(document.body, { key: "e" });
    await settle();
    expect(ipc.calls.setStatus).toEqual([]);
    await fireEvent.keyDown(document.body, { key: "D", shiftKey: true });
    await vi.waitFor(() => expect(ipc.calls.setStatus).toEqual([{ conversationId: "g:1", status: "resolved" }]));
  });
});

describe("palette matching", () => {
  const c = (id: string, label: string, keywords = "") => ({ id, label: () => label, keywords, section: "app" as const, run: () => {} });
  it("needs every word, puts label-prefix matches first and matches keywords", () => {
    const list = [c("a", "Show All"), c("b", "Resolve conversation", "close done"), c("d", "Open settings"), c("e", "Reopen conversation")];
    expect(matchCommand(list, "").map((x) => x.id)).toEqual(["a", "b", "d", "e"]);
    expect(matchCommand(list, "conv").map((x) => x.id)).toEqual(["b", "e"]);
    expect(matchCommand(list, "re").map((x) => x.id)).toEqual(["b", "e"]);
    expect(matchCommand(list, "open").map((x) => x.id)).toEqual(["d", "e"]);
    expect(matchCommand(list, "done").map((x) => x.id)).toEqual(["b"]);
    expect(matchCommand(list, "resolve zzz")).toEqual([]);
  });
});
