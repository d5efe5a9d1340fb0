import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import ConversationPane from "./ConversationPane.svelte";
import { BatchHub } from "../lib/batches";
import { ME, account, message, type MockIpc } from "../lib/ipc/mock";
import type { AccountSummary, RecipientState } from "../lib/ipc/ipc";
import { base, scenario } from "../test-fixtures";

function setup(ipc: MockIpc = scenario(), who: AccountSummary = account()) {
  const hub = new BatchHub();
  ipc.onBatch((b) => hub.emit(b));
  render(ConversationPane, { ipc, account: who, hub, conversationId: "g:1", offline: false });
  return ipc;
}

const row = (key: string) => document.querySelector<HTMLElement>(`[role="log"] [data-key="${key}"]`);
const keys = () => [...document.querySelectorAll('[role="log"] [data-key]')].map((e) => e.getAttribute("data-key"));

async function openMenu(key: string) {
  const el = await vi.waitFor(() => {
    const r = row(key);
    expect(r).toBeTruthy();
    return r!;
  });
  await fireEvent.click(el.querySelector<HTMLButtonElement>(".message-actions")!);
  const menu = within(el).getByRole("menu");
  return { el, menu, actions: () => [...menu.querySelectorAll<HTMLElement>("[data-action]")].map((b) => b.dataset.action) };
}

async function muteButton() {
  return vi.waitFor(() => {
    const b = document.querySelector<HTMLButtonElement>("#mute-menu");
    expect(b).toBeTruthy();
    return b!;
  });
}

const item = (menu: HTMLElement, action: string) => menu.querySelector<HTMLButtonElement>(`[data-action="${action}"]`)!;

function clipboard(writeText: (text: string) => Promise<void>) {
  Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
}

afterEach(() => {
  Reflect.deleteProperty(navigator, "clipboard");
});

describe("message actions menu", () => {
  it("opens from each message's … button and is driven by the keyboard", async () => {
    setup();
    const { el, menu } = await openMenu("a2");
    const trigger = el.querySelector<HTMLButtonElement>(".message-actions")!;
    expect(trigger.getAttribute("aria-expanded")).toBe("true");
    const items = [...menu.querySelectorAll<HTMLButtonElement>("[role=menuitem]")];
    expect(document.activeElement).toBe(items[0]);
    await fireEvent.keyDown(menu, { key: "ArrowDown" });
    expect(document.activeElement).toBe(items[1]);
    await fireEvent.keyDown(menu, { key: "End" });
    expect(document.activeElement).toBe(items.at(-1));
    await fireEvent.keyDown(menu, { key: "ArrowDown" });
    expect(document.activeElement).toBe(items[0]);
    await fireEvent.keyDown(menu, { key: "Escape" });
    expect(within(el).queryByRole("menu")).toBeNull();
    expect(document.activeElement).toBe(trigger);
    // Arrow up on the button opens the menu at its last item.
    await fireEvent.keyDown(trigger, { key: "ArrowUp" });
    const again = await within(el).findByRole("menu");
    expect(document.activeElement).toBe([...again.querySelectorAll("[role=menuitem]")].at(-1));
  });

  it("offers copy, info and both deletes on the agent's own sent message", async () => {
    setup();
    const { actions } = await openMenu("a2");
    expect(actions()).toEqual(["copy", "info", "delete-me", "delete-all"]);
  });

  it("offers delete for everyone on a customer's message only to agents", async () => {
    setup();
    expect((await openMenu("a1")).actions()).toEqual(["copy", "delete-me", "delete-all"]);
  });

  it("does not offer delete for everyone on others' messages to an app user", async () => {
    setup(scenario(), account({ isAgent: false }));
    expect((await openMenu("a1")).actions()).toEqual(["copy", "delete-me"]);
    await fireEvent.keyDown(row("a1")!.querySelector("[role=menu]")!, { key: "Escape" });
    expect((await openMenu("a2")).actions()).toEqual(["copy", "info", "delete-me", "delete-all"]);
  });

  it("offers only removal from the queue for a message not sent yet", async () => {
    const ipc = scenario();
    ipc.state.messages["g:1"]!.push(message({ key: "local-9", conversationId: "g:1", senderId: ME, direction: "outgoing", state: "queued", createdAt: base + 120_000, text: "later" }));
    setup(ipc);
    const { menu, actions } = await openMenu("local-9");
    expect(actions()).toEqual(["copy", "delete-me"]);
    expect(item(menu, "delete-me").textContent).toBe("Delete (not sent yet)");
  });
});

describe("copy", () => {
  it("copies the message text to the clipboard and says so", async () => {
    const writeText = vi.fn(async (_text: string) => {});
    clipboard(writeText);
    setup();
    const { el, menu } = await openMenu("a1");
    await fireEvent.click(item(menu, "copy"));
    await vi.waitFor(() => expect(writeText).toHaveBeenCalledWith("Hi, my invoice is wrong.\nIt says 40 EUR."));
    expect((await within(el).findByRole("status")).textContent).toBe("Copied");
    expect(within(el).queryByRole("menu")).toBeNull();
  });

  it("copies an HTML message as the text a reader sees", async () => {
    const writeText = vi.fn(async (_text: string) => {});
    clipboard(writeText);
    const ipc = scenario();
    ipc.state.messages["g:1"] = [
      message({ key: "h1", conversationId: "g:1", senderId: "alice", contentType: 3, text: "<p>Order <b>1234</b></p><script>x()</script>", createdAt: base }),
    ];
    setup(ipc);
    const { menu } = await openMenu("h1");
    await fireEvent.click(item(menu, "copy"));
    await vi.waitFor(() => expect(writeText).toHaveBeenCalledWith("Order 1234"));
  });

  it("says why the clipboard refused", async () => {
    clipboard(async () => {
      throw new Error("Clipboard access denied.");
    });
    setup();
    const { el, menu } = await openMenu("a1");
    await fireEvent.click(item(menu, "copy"));
    expect((await within(el).findByRole("alert")).textContent).toBe("Could not copy: Clipboard access denied.");
  });
});

describe("delete", () => {
  it("deletes for me after a confirmation; the message leaves with the shell's batch", async () => {
    const ipc = setup();
    const { menu } = await openMenu("a1");
    await fireEvent.click(item(menu, "delete-me"));
    const dialog = await vi.waitFor(() => {
      const d = document.querySelector<HTMLDialogElement>("dialog.confirm-delete");
      expect(d?.open).toBe(true);
      return d!;
    });
    expect(dialog.textContent).toContain("Delete this message for you?");
    expect(dialog.textContent).toContain("the customer and other agents still see it");
    expect(ipc.calls.people.filter(([c]) => c === "deleteMessage")).toEqual([]);
    await fireEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    await vi.waitFor(() => expect(keys()).toEqual(["a2"]));
    expect(ipc.calls.people.filter(([c]) => c === "deleteMessage")).toEqual([["deleteMessage", "a1", false]]);
    expect(document.querySelector("dialog.confirm-delete")).toBeNull();
  });

  it("cancelling the confirmation deletes nothing", async () => {
    const ipc = setup();
    const { menu } = await openMenu("a2");
    await fireEvent.click(item(menu, "delete-all"));
    const dialog = await vi.waitFor(() => document.querySelector<HTMLDialogElement>("dialog.confirm-delete")!);
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await vi.waitFor(() => expect(document.querySelector("dialog.confirm-delete")).toBeNull());
    expect(ipc.calls.people.filter(([c]) => c === "deleteMessage")).toEqual([]);
    expect(keys()).toEqual(["a1", "a2"]);
    expect(document.activeElement).toBe(row("a2")!.querySelector(".message-actions"));
  });

  it("deletes for everyone after a confirmation that says so", async () => {
    const ipc = setup();
    const { menu } = await openMenu("a2");
    await fireEvent.click(item(menu, "delete-all"));
    const dialog = await vi.waitFor(() => document.querySelector<HTMLDialogElement>("dialog.confirm-delete")!);
    expect(dialog.textContent).toContain("Delete this message for everyone?");
    expect(dialog.textContent).toContain("Let me check the invoice for you.");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    await vi.waitFor(() => expect(keys()).toEqual(["a1"]));
    expect(ipc.calls.people.filter(([c]) => c === "deleteMessage")).toEqual([["deleteMessage", "a2", true]]);
  });

  it("shows the platform's refusal in the confirmation and keeps the message", async () => {
    const ipc = scenario({
      failPeople: { deleteMessage: { code: "forbidden", message: "The platform does not allow deleting this message for everyone.", field: null } },
    });
    setup(ipc);
    const { menu } = await openMenu("a1");
    await fireEvent.click(item(menu, "delete-all"));
    const dialog = await vi.waitFor(() => document.querySelector<HTMLDialogElement>("dialog.confirm-delete")!);
    await fireEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect((await within(dialog).findByRole("alert")).textContent).toBe(
      "Not deleted: The platform does not allow deleting this message for everyone.",
    );
    expect(dialog.open).toBe(true);
    expect(keys()).toEqual(["a1", "a2"]);
  });
});

describe("message info", () => {
  const receipts: RecipientState[] = [
    { userId: "alice", name: "Alice Martin", state: "read", deliveredAt: base + 70_000, readAt: base + 90_000 },
    { userId: "sam@parley.test", name: null, state: "delivered", deliveredAt: base + 75_000, readAt: null },
  ];

  it("lists each recipient with delivered and read times", async () => {
    const ipc = setup(scenario({ receipts: { a2: receipts } }));
    const { menu } = await openMenu("a2");
    await fireEvent.click(item(menu, "info"));
    const dialog = await vi.waitFor(() => {
      const d = document.querySelector<HTMLDialogElement>("dialog#message-info");
      expect(d?.open).toBe(true);
      return d!;
    });
    const rows = await vi.waitFor(() => {
      const r = [...dialog.querySelectorAll<HTMLElement>("[data-recipient-id]")];
      expect(r).toHaveLength(2);
      return r;
    });
    expect(ipc.calls.people).toContainEqual(["messageInfo", "a2"]);
    expect(rows.map((r) => r.dataset.recipientId)).toEqual(["alice", "sam@parley.test"]);
    expect(rows[0]!.textContent).toContain("Alice Martin");
    expect(rows[0]!.textContent).toContain("Read");
    expect(rows[0]!.querySelector(".delivered")!.textContent).toBe(new Date(base + 70_000).toLocaleString());
    expect(rows[0]!.querySelector(".read")!.textContent).toBe(new Date(base + 90_000).toLocaleString());
    expect(rows[1]!.textContent).toContain("sam@parley.test");
    expect(rows[1]!.querySelector(".read")!.textContent).toBe("—");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Close" }));
    await vi.waitFor(() => expect(document.querySelector("dialog#message-info")).toBeNull());
    expect(document.activeElement).toBe(row("a2")!.querySelector(".message-actions"));
  });

  it("says when there are no receipts yet", async () => {
    setup();
    const { menu } = await openMenu("a2");
    await fireEvent.click(item(menu, "info"));
    expect(await screen.findByText("No delivery receipts yet.")).toBeTruthy();
  });

  it("shows why message info could not be loaded, and retries", async () => {
    const ipc = scenario({ failPeople: { messageInfo: { code: "unreachable", message: "The server did not answer.", field: null } } });
    setup(ipc);
    const { menu } = await openMenu("a2");
    await fireEvent.click(item(menu, "info"));
    const dialog = await vi.waitFor(() => document.querySelector<HTMLDialogElement>("dialog#message-info")!);
    expect((await within(dialog).findByRole("alert")).textContent).toContain("Message info could not be loaded: The server did not answer.");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Retry" }));
    await vi.waitFor(() => expect(ipc.calls.people.filter(([c]) => c === "messageInfo")).toHaveLength(2));
  });
});

describe("conversation mute", () => {
  const muteCalls = (ipc: MockIpc) => ipc.calls.people.filter(([c]) => c === "muteConversation");

  it("mutes for a chosen period from the header, shows it, and unmutes", async () => {
    const ipc = setup();
    const trigger = await muteButton();
    expect(trigger.dataset.muted).toBe("false");
    await fireEvent.click(trigger);
    const menu = screen.getByRole("menu", { name: "Mute for" });
    expect([...menu.querySelectorAll<HTMLElement>("[data-mute]")].map((b) => b.textContent)).toEqual(["1 hour", "8 hours", "24 hours", "1 week"]);
    const before = Date.now();
    await fireEvent.click(menu.querySelector<HTMLButtonElement>('[data-mute="8h"]')!);
    await vi.waitFor(() => expect(muteCalls(ipc)).toHaveLength(1));
    const [, id, until] = muteCalls(ipc)[0] as [string, string, number];
    expect(id).toBe("g:1");
    expect(until).toBeGreaterThanOrEqual(before + 8 * 3_600_000);
    expect(until).toBeLessThan(before + 8 * 3_600_000 + 5_000);
    await vi.waitFor(() => expect(trigger.dataset.muted).toBe("true"));
    expect(trigger.textContent).toContain("Muted");
    expect(trigger.getAttribute("aria-label")).toMatch(/^Muted until /);
    expect(ipc.state.conversations.find((c) => c.id === "g:1")!.mutedUntil).toBe(until);

    await fireEvent.click(trigger);
    const again = screen.getByRole("menu", { name: "Mute for" });
    await fireEvent.click(again.querySelector<HTMLButtonElement>('[data-mute="off"]')!);
    await vi.waitFor(() => expect(muteCalls(ipc)).toHaveLength(2));
    expect(muteCalls(ipc)[1]).toEqual(["muteConversation", "g:1", null]);
    await vi.waitFor(() => expect(trigger.dataset.muted).toBe("false"));
    expect(await screen.findByText("Notifications are back on for this conversation.")).toBeTruthy();
  });

  it("shows a mute set elsewhere, and a mute that has ended as none", async () => {
    const ipc = scenario();
    ipc.state.conversations = ipc.state.conversations.map((c) => (c.id === "g:1" ? { ...c, mutedUntil: Date.now() + 3_600_000 } : c));
    setup(ipc);
    const trigger = await muteButton();
    expect(trigger.dataset.muted).toBe("true");
    await fireEvent.click(trigger);
    expect(screen.getByRole("menu", { name: "Mute for" }).querySelector('[data-mute="off"]')).toBeTruthy();
  });

  it("does not show a mute that has already ended", async () => {
    const ipc = scenario();
    ipc.state.conversations = ipc.state.conversations.map((c) => (c.id === "g:1" ? { ...c, mutedUntil: Date.now() - 1000 } : c));
    setup(ipc);
    expect((await muteButton()).dataset.muted).toBe("false");
  });

  it("shows the platform's error when muting fails", async () => {
    const ipc = scenario({ failPeople: { muteConversation: { code: "unreachable", message: "No connection.", field: null } } });
    setup(ipc);
    const trigger = await muteButton();
    await fireEvent.click(trigger);
    await fireEvent.click(screen.getByRole("menu", { name: "Mute for" }).querySelector<HTMLButtonElement>('[data-mute="1h"]')!);
    expect((await screen.findByRole("alert")).textContent).toContain("Mute failed: No connection.");
    expect(trigger.dataset.muted).toBe("false");
  });
});


describe("hidden messages", () => {
  it("are marked in the timeline", async () => {
    const { render } = await import("@testing-library/svelte");
    const MessageItem = (await import("./MessageItem.svelte")).default;
    const { createMockIpc, message } = await import("../lib/ipc/mock");
    const ipc = createMockIpc();
    const view = render(MessageItem, {
      message: message({ text: "internal: refund approved", direction: "outgoing", metadata: { category: "HIDDEN" } }),
      name: "You",
      showHeader: true,
      ipc,
      accountId: "acc-1",
      onReply: () => {},
    });
    expect(view.container.querySelector(".hidden-badge")?.textContent).toBe("Hidden");
    view.unmount();
    const plain = render(MessageItem, { message: message({ text: "hello" }), name: "Ada", showHeader: true, ipc, accountId: "acc-1", onReply: () => {} });
    expect(plain.container.querySelector(".hidden-badge")).toBeNull();
  });
});
