import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import Inbox from "./Inbox.svelte";
import { BatchHub } from "../lib/batches";
import { account, conversation, emptyBatch } from "../lib/ipc/mock";
import { base, scenario, settle } from "../test-fixtures";
import type { MockIpc } from "../lib/ipc/mock";
import { commands } from "../shortcuts/commands.svelte";

// The shell listens for shortcuts on the window; the inbox registers its commands there.
beforeEach(() => window.addEventListener("keydown", commands.handleKey));
afterEach(() => {
  window.removeEventListener("keydown", commands.handleKey);
  commands.reset();
});

function setup(ipc: MockIpc = scenario()) {
  const hub = new BatchHub();
  const opened: string[] = [];
  const r = render(Inbox, { ipc, account: account(), hub, openId: null, onOpen: (id: string) => opened.push(id) });
  return { ipc, hub, opened, ...r };
}

const titles = () => [...document.querySelectorAll("#inbox-list .row .title")].map((e) => e.textContent);
const count = (view: string) => document.querySelector(`.count[data-view="${view}"]`)?.textContent;

describe("inbox", () => {
  it("shows the view counts and the rows of Mine, newest first", async () => {
    setup();
    await screen.findByText("Alice Martin");
    expect(titles()).toEqual(["Alice Martin", "Bob Stone", "Carol Diaz"]);
    expect(count("assigned_to_me")).toBe("3");
    expect(count("unassigned")).toBe("1");
    expect(count("all")).toBe("4");
    expect(count("closed")).toBe("1");
    expect(count("spam")).toBe("1");
    const alice = document.querySelector('[data-id="g:1"]')!;
    expect(alice.querySelector(".badge")?.textContent).toBe("2");
    expect(alice.querySelector(".status-chip")?.textContent).toBe("Open");
    expect(alice.querySelector(".assignee")?.textContent).toBe("You");
    expect(alice.querySelector(".preview")?.textContent).toBe("My invoice is wrong");
  });

  it("names another agent by the name the platform sent, else by the id's local part", async () => {
    const ipc = scenario();
    const a = ipc.state.conversations[0]!;
    const b = ipc.state.conversations[1]!;
    a.assignee = "b2f6d4e3-1c5a-4f7b-9d0e-2a3b4c5d6e72";
    a.metadata = { ...a.metadata, PARLEY_ASSIGNEE_NAME: "Bob Okafor" };
    b.assignee = "carol@example.com";
    b.metadata = {};
    setup(ipc);
    await fireEvent.click(await screen.findByRole("tab", { name: /All/ }));
    await vi.waitFor(() => expect(document.querySelector(`[data-id="${a.id}"] .assignee`)?.textContent).toBe("Bob Okafor"));
    expect(document.querySelector(`[data-id="${b.id}"] .assignee`)?.textContent).toBe("carol");
  });

  it("switches views and sort orders", async () => {
    const { ipc } = setup();
    await screen.findByText("Alice Martin");
    await fireEvent.click(screen.getByRole("tab", { name: /Unassigned/ }));
    await screen.findByText("Dan Unassigned");
    expect(titles()).toEqual(["Dan Unassigned"]);
    expect(screen.getByRole("tab", { name: /Unassigned/ }).getAttribute("aria-selected")).toBe("true");

    await fireEvent.click(screen.getByRole("tab", { name: /Closed/ }));
    await screen.findByText("Eve Closed");

    await fireEvent.click(screen.getByRole("tab", { name: /All/ }));
    await screen.findByText("Carol Diaz");
    await fireEvent.change(document.querySelector("#inbox-sort")!, { target: { value: "oldest" } });
    await vi.waitFor(() => expect(titles()[0]).toBe("Dan Unassigned"));
    expect(ipc.calls.inbox.at(-1)).toMatchObject({ view: "all", sort: "oldest", offset: 0 });
  });

  it("moves the selection with j/k and arrows, and opens with Enter", async () => {
    const { opened } = setup();
    await screen.findByText("Alice Martin");
    await fireEvent.keyDown(document.body, { key: "j" });
    await fireEvent.keyDown(document.body, { key: "ArrowDown" });
    await fireEvent.keyDown(document.body, { key: "k" });
    await fireEvent.keyDown(document.body, { key: "j" });
    expect(document.querySelector(".row.selected")?.getAttribute("data-id")).toBe("g:3");
    await fireEvent.keyDown(document.body, { key: "Enter" });
    expect(opened).toEqual(["g:3"]);
  });

  it("ignores shortcuts while typing in the search box, and / focuses it", async () => {
    const { opened } = setup();
    await screen.findByText("Alice Martin");
    await fireEvent.keyDown(document.body, { key: "/" });
    const search = document.querySelector<HTMLInputElement>("#inbox-search")!;
    expect(document.activeElement).toBe(search);
    await fireEvent.keyDown(search, { key: "j" });
    await fireEvent.keyDown(search, { key: "k" });
    expect(document.querySelector(".row.selected")?.getAttribute("data-id")).toBe("g:1");
    const ta = document.createElement("textarea");
    document.body.append(ta);
    await fireEvent.keyDown(ta, { key: "Enter" });
    await fireEvent.keyDown(ta, { key: "j" });
    ta.remove();
    expect(opened).toEqual([]);
    expect(document.querySelector(".row.selected")?.getAttribute("data-id")).toBe("g:1");
  });

  it("follows changed shortcuts: the new keys move, the old ones do nothing", async () => {
    setup();
    await screen.findByText("Alice Martin");
    commands.setShortcuts({ nextConversation: "Shift+N", previousConversation: "None" });
    const selected = () => document.querySelector(".row.selected")?.getAttribute("data-id") ?? null;
    const before = selected();
    await fireEvent.keyDown(document.body, { key: "j" });
    expect(selected()).toBe(before);
    await fireEvent.keyDown(document.body, { key: "N", shiftKey: true });
    await fireEvent.keyDown(document.body, { key: "N", shiftKey: true });
    expect(selected()).not.toBe(before);
    const moved = selected();
    await fireEvent.keyDown(document.body, { key: "k" });
    expect(selected()).toBe(moved);
    expect(moved).toBe("g:3");
  });

  it("switches views with the number keys and rests while another screen covers it", async () => {
    const { rerender } = setup();
    await screen.findByText("Alice Martin");
    await fireEvent.keyDown(document.body, { key: "2" });
    await screen.findByText("Dan Unassigned");
    expect(screen.getByRole("tab", { name: /Unassigned/ }).getAttribute("aria-selected")).toBe("true");
    const selected = () => document.querySelector(".row.selected")?.getAttribute("data-id") ?? null;
    const before = selected();
    await rerender({ active: false });
    await fireEvent.keyDown(document.body, { key: "3" });
    await fireEvent.keyDown(document.body, { key: "j" });
    await fireEvent.keyDown(document.body, { key: "ArrowDown" });
    await settle(2);
    expect(screen.getByRole("tab", { name: /Unassigned/ }).getAttribute("aria-selected")).toBe("true");
    expect(selected()).toBe(before);
  });

  it("searches as you type and highlights the matching terms", async () => {
    const { ipc, opened } = setup();
    await screen.findByText("Alice Martin");
    const search = document.querySelector<HTMLInputElement>("#inbox-search")!;
    await fireEvent.input(search, { target: { value: "inv" } });
    await fireEvent.input(search, { target: { value: "invoice" } });
    await vi.waitFor(() => expect(document.querySelectorAll(".hits li")).toHaveLength(2));
    // Debounced: only the last keystroke reached the backend.
    expect(ipc.calls.search).toEqual(["invoice"]);
    const marks = [...document.querySelectorAll(".hits mark")].map((m) => m.textContent!.toLowerCase());
    expect(marks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(marks)).toEqual(new Set(["invoice"]));
    await fireEvent.keyDown(search, { key: "Enter" });
    expect(opened).toEqual(["g:1"]);
  });

  it("never renders search hit text as markup", async () => {
    const ipc = scenario();
    ipc.state.messages["g:2"]!.push({
      ...ipc.state.messages["g:2"]![0]!,
      key: "evil",
      text: '<img src=x onerror="window.__pwned=1"> evil',
    });
    setup(ipc);
    await screen.findByText("Alice Martin");
    await fireEvent.input(document.querySelector("#inbox-search")!, { target: { value: "evil" } });
    await vi.waitFor(() => expect(document.querySelectorAll(".hits li")).toHaveLength(1));
    expect(document.querySelector(".hits img")).toBeNull();
    expect(document.querySelector(".hits")!.textContent).toContain("<img src=x");
  });

  it("refreshes from hub batches, coalesced to one read per frame", async () => {
    const { ipc, hub } = setup();
    await screen.findByText("Alice Martin");
    const before = ipc.calls.inbox.length;
    ipc.state.conversations = [
      conversation({ id: "g:9", title: "Zed New", lastActivityAt: base + 10 * 3_600_000 }),
      ...ipc.state.conversations,
    ];
    hub.emit(emptyBatch({ conversations: ["g:9"], counts: { assignedToMe: 4, unassigned: 1, all: 5, closed: 1, spam: 1, unread: 2 } }));
    hub.emit(emptyBatch({ conversations: ["g:1"] }));
    hub.emit(emptyBatch({ conversations: ["*"] }));
    await vi.waitFor(() => expect(count("assigned_to_me")).toBe("4"));
    await screen.findByText("Zed New");
    await settle(2);
    expect(ipc.calls.inbox.length).toBe(before + 1);
    expect(titles()[0]).toBe("Zed New");
  });

  it("renders a virtual window of a long inbox and loads the next page near its end", async () => {
    const many = Array.from({ length: 250 }, (_, i) =>
      conversation({ id: `g:${100 + i}`, title: `Customer ${i}`, lastActivityAt: base - i * 60_000 }),
    );
    const { ipc } = setup(scenario({ conversations: many }));
    await screen.findByText("Customer 0");
    // Only a window of rows is in the DOM, not all 100 loaded.
    const rendered = document.querySelectorAll("#inbox-list .row").length;
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(40);
    expect(ipc.calls.inbox).toHaveLength(1);

    const list = document.querySelector<HTMLElement>("#inbox-list")!;
    list.scrollTop = 100 * 72 - 720;
    await fireEvent.scroll(list);
    await vi.waitFor(() => expect(ipc.calls.inbox.at(-1)).toMatchObject({ offset: 100, limit: 100 }));
    await vi.waitFor(() => expect(screen.getByText("Customer 99")).toBeTruthy());
  });
});
