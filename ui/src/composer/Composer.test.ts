import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import Composer from "./Composer.svelte";
import ConversationPane from "../conversation/ConversationPane.svelte";
import { BatchHub } from "../lib/batches";
import { account, type MockIpc } from "../lib/ipc/mock";
import type { CannedResponse, Contact } from "../lib/ipc/ipc";
import { scenario } from "../test-fixtures";

const CANNED: CannedResponse[] = [
  { id: "c1", shortcut: "thanks", text: "Thanks {{customer.name}}! — {{agent.name}}", updatedAt: 1 },
  { id: "c2", shortcut: "refund", text: "Your refund for “{{conversation.title}}” is on its way.", updatedAt: 1 },
  { id: "c3", shortcut: "mail", text: "We wrote to {{customer.email}}, {{customer.nickname}}.", updatedAt: 1 },
];

const alice: Contact = {
  userId: "alice",
  displayName: "Alice Martin",
  email: null,
  phone: null,
  imageUrl: null,
  metadata: {},
  online: true,
  lastSeenAt: null,
  roleType: 3,
};

function setup(ipc: MockIpc = scenario({ canned: CANNED })) {
  const r = render(Composer, { ipc, account: account(), conversationId: "g:1", customer: alice, conversationTitle: "Invoice question" });
  const box = screen.getByLabelText<HTMLTextAreaElement>("Reply");
  return { ipc, box, ...r };
}

/** Type `value` into the box with the caret at `caret` (the end by default). */
async function typeIn(box: HTMLTextAreaElement, value: string, caret = value.length) {
  box.focus();
  box.value = value;
  box.setSelectionRange(caret, caret);
  await fireEvent.input(box);
}

const options = () => [...document.querySelectorAll<HTMLElement>("#canned-menu [role=option]")];
const richCalls = (ipc: MockIpc) => ipc.calls.people.filter((c) => c[0] === "sendRich");

describe("what the account's platform offers", () => {
  it("a WhatsApp account gets no attach, HTML, hidden note, rich message or metadata controls, and refuses pasted files", async () => {
    const ipc = scenario({ canned: CANNED });
    const r = render(Composer, { ipc, account: account({ platform: "wapikit" }), conversationId: "w:1", customer: alice, conversationTitle: "Order" });
    const present = () => ["#attach", "#html-toggle", "#hidden-toggle", "#rich-button", "#meta-toggle"].map((id) => !!document.querySelector(id));
    expect(present()).toEqual([false, false, false, false, false]);
    expect(screen.getByLabelText("Reply")).toBeTruthy();
    await r.component.sendFiles([new File(["x"], "a.txt", { type: "text/plain" })]);
    expect(ipc.calls.sendAttachment).toEqual([]);
    expect((await screen.findByText(/Files can't be sent from this account/)).textContent).toBeTruthy();
    r.unmount();
    setup();
    expect(present()).toEqual([true, true, true, true, true]);
  });
});

describe("canned responses in the composer", () => {
  it("'/' opens the menu of canned responses, filtered by what follows the slash", async () => {
    const { box } = setup();
    await typeIn(box, "/");
    await vi.waitFor(() => expect(options().map((o) => o.dataset.cannedId)).toEqual(["c3", "c2", "c1"]));
    await typeIn(box, "/re");
    await vi.waitFor(() => expect(options().map((o) => o.dataset.cannedId)).toEqual(["c2"]));
    expect(box.getAttribute("aria-activedescendant")).toBe("canned-opt-0");
    await typeIn(box, "see https://x/re");
    expect(document.querySelector("#canned-menu")).toBeNull();
    await typeIn(box, "/re");
    expect(document.querySelector("#canned-menu")).not.toBeNull();
    box.blur();
    await vi.waitFor(() => expect(document.querySelector("#canned-menu")).toBeNull());
  });

  it("Enter inserts the chosen response with the customer, agent and conversation filled in, then Enter sends it", async () => {
    const { box, ipc } = setup();
    await typeIn(box, "/th");
    await vi.waitFor(() => expect(options()).toHaveLength(1));
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(box.value).toBe("Thanks Alice Martin! — Ada Agent"));
    expect(document.querySelector("#canned-menu")).toBeNull();
    expect(ipc.calls.sendMessage).toEqual([]);
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(ipc.calls.sendMessage).toEqual([{ conversationId: "g:1", text: "Thanks Alice Martin! — Ada Agent", html: false }]));
  });

  it("Tab inserts in the middle of a text, with arrows choosing, and only the /word is replaced", async () => {
    const { box } = setup();
    await typeIn(box, "Sure. / Bye", 7);
    await vi.waitFor(() => expect(options()).toHaveLength(3));
    await fireEvent.keyDown(box, { key: "ArrowDown" });
    expect(box.getAttribute("aria-activedescendant")).toBe("canned-opt-1");
    await fireEvent.keyDown(box, { key: "Tab" });
    await vi.waitFor(() => expect(box.value).toBe("Sure. Your refund for “Invoice question” is on its way. Bye"));
    expect(box.selectionStart).toBe("Sure. Your refund for “Invoice question” is on its way.".length);
  });

  it("leaves unknown and empty variables as typed and flags them", async () => {
    const { box } = setup();
    await typeIn(box, "/mail");
    await vi.waitFor(() => expect(options()).toHaveLength(1));
    await fireEvent.click(options()[0]!);
    await vi.waitFor(() => expect(box.value).toBe("We wrote to {{customer.email}}, {{customer.nickname}}."));
    expect(document.querySelector("#canned-flagged")?.textContent).toBe("Not filled in (left as typed): {{customer.nickname}}, {{customer.email}}");
  });

  it("Escape closes the menu and leaves the text alone; Enter then sends the text as typed", async () => {
    const { box, ipc } = setup();
    await typeIn(box, "/thanks");
    await vi.waitFor(() => expect(options()).toHaveLength(1));
    await fireEvent.keyDown(box, { key: "Escape" });
    expect(document.querySelector("#canned-menu")).toBeNull();
    await typeIn(box, "/thanks!");
    expect(document.querySelector("#canned-menu")).toBeNull();
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(ipc.calls.sendMessage.map((c) => c.text)).toEqual(["/thanks!"]));
  });

  it("uses the conversation's customer and title when the composer sits in the conversation pane", async () => {
    const ipc = scenario({ canned: CANNED });
    const hub = new BatchHub();
    render(ConversationPane, { ipc, account: account(), hub, conversationId: "g:1", offline: false });
    const box = await screen.findByLabelText<HTMLTextAreaElement>("Reply");
    await typeIn(box, "/thanks");
    await vi.waitFor(() => expect(options()).toHaveLength(1));
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(box.value).toBe("Thanks Alice Martin! — Ada Agent"));
  });
});

describe("managing canned responses", () => {
  it("creates one from the toolbar with a variable inserted from the list, and the menu offers it at once", async () => {
    const { box, ipc } = setup(scenario({ canned: [] }));
    await fireEvent.click(screen.getByRole("button", { name: "Canned responses…" }));
    const dialog = document.querySelector<HTMLDialogElement>("#canned-manager")!;
    expect(dialog.open).toBe(true);
    await screen.findByText("None yet. Create one above.");
    await fireEvent.input(document.querySelector("#canned-shortcut")!, { target: { value: "/hello" } });
    const text = document.querySelector<HTMLTextAreaElement>("#canned-text")!;
    await fireEvent.input(text, { target: { value: "Hello , how can I help?" } });
    text.setSelectionRange(6, 6);
    await fireEvent.click(dialog.querySelector('[data-variable="customer.name"]')!);
    expect(text.value).toBe("Hello {{customer.name}}, how can I help?");
    await fireEvent.click(document.querySelector("#canned-save")!);
    await vi.waitFor(() => expect(ipc.state.canned.map((c) => [c.shortcut, c.text])).toEqual([["hello", "Hello {{customer.name}}, how can I help?"]]));
    await vi.waitFor(() => expect(dialog.querySelectorAll("li[data-canned-id]")).toHaveLength(1));
    dialog.close();
    await vi.waitFor(() => expect(document.querySelector("#canned-manager")).toBeNull());
    await typeIn(box, "/hel");
    await vi.waitFor(() => expect(options()).toHaveLength(1));
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(box.value).toBe("Hello Alice Martin, how can I help?"));
  });

  it("shows problems inline, edits and deletes (after a confirmation)", async () => {
    const { ipc } = setup();
    await fireEvent.click(screen.getByRole("button", { name: "Canned responses…" }));
    const dialog = document.querySelector<HTMLDialogElement>("#canned-manager")!;
    await vi.waitFor(() => expect(dialog.querySelectorAll("li[data-canned-id]")).toHaveLength(3));
    // Nothing typed: both fields are required.
    await fireEvent.click(document.querySelector("#canned-save")!);
    expect(document.querySelector("#canned-shortcut-error")?.textContent).toBe("Give the response a shortcut word.");
    expect(document.querySelector("#canned-text-error")?.textContent).toBe("The response is empty.");
    expect(ipc.calls.people.filter((c) => c[0] === "saveCannedResponse")).toEqual([]);
    // A shortcut that is taken: the store's error shows on the form.
    await fireEvent.input(document.querySelector("#canned-shortcut")!, { target: { value: "refund" } });
    await fireEvent.input(document.querySelector("#canned-text")!, { target: { value: "Again {{customer.nick}}" } });
    expect(dialog.textContent).toContain("Unknown variables stay as typed: {{customer.nick}}");
    await fireEvent.click(document.querySelector("#canned-save")!);
    await screen.findByText("/refund is already a canned response.");
    // Edit /thanks.
    await fireEvent.click(screen.getByRole("button", { name: "Edit /thanks" }));
    expect(document.querySelector<HTMLInputElement>("#canned-shortcut")!.value).toBe("thanks");
    await fireEvent.input(document.querySelector("#canned-text")!, { target: { value: "Many thanks!" } });
    await fireEvent.click(document.querySelector("#canned-save")!);
    await vi.waitFor(() => expect(ipc.state.canned.find((c) => c.id === "c1")?.text).toBe("Many thanks!"));
    // Delete /mail: the first click asks, the second deletes.
    await fireEvent.click(screen.getByRole("button", { name: "Delete /mail" }));
    expect(ipc.state.canned).toHaveLength(3);
    await fireEvent.click(screen.getByRole("button", { name: "Confirm: delete /mail" }));
    await vi.waitFor(() => expect(ipc.state.canned.map((c) => c.id).sort()).toEqual(["c1", "c2"]));
    await vi.waitFor(() => expect(dialog.querySelectorAll("li[data-canned-id]")).toHaveLength(2));
  });

  it("is reachable from the menu, offering to create the shortcut that was typed", async () => {
    const { box } = setup();
    await typeIn(box, "/vacation");
    await screen.findByText("No canned response matches /vacation.");
    await fireEvent.click(screen.getByRole("button", { name: "Create /vacation…" }));
    expect(document.querySelector<HTMLInputElement>("#canned-shortcut")!.value).toBe("vacation");
  });
});

describe("emoji picker", () => {
  beforeEach(() => localStorage.clear());

  it("inserts the emoji found by name at the caret, and gives focus back to the box", async () => {
    const { box } = setup();
    await typeIn(box, "Hello world", 5);
    await fireEvent.click(screen.getByRole("button", { name: "Emoji" }));
    const search = document.querySelector<HTMLInputElement>("#emoji-search")!;
    expect(document.activeElement).toBe(search);
    await fireEvent.input(search, { target: { value: "thumbs up" } });
    expect([...document.querySelectorAll("#emoji-grid [role=option]")].map((o) => o.getAttribute("data-emoji"))).toEqual(["👍"]);
    await fireEvent.keyDown(search, { key: "Enter" });
    await vi.waitFor(() => expect(box.value).toBe("Hello👍 world"));
    expect(document.querySelector("#emoji-picker")).toBeNull();
    expect(document.activeElement).toBe(box);
    expect(box.selectionStart).toBe("Hello👍".length);
  });

  it("moves through the grid with the arrow keys and puts recent ones first", async () => {
    const { box } = setup();
    await typeIn(box, "");
    await fireEvent.click(screen.getByRole("button", { name: "Emoji" }));
    const search = document.querySelector<HTMLInputElement>("#emoji-search")!;
    const first = document.querySelector("#emoji-grid [role=group] p")!.textContent;
    expect(first).toBe("Smileys");
    await fireEvent.keyDown(search, { key: "ArrowRight" });
    await fireEvent.keyDown(search, { key: "ArrowRight" });
    await fireEvent.keyDown(search, { key: "ArrowDown" });
    expect(search.getAttribute("aria-activedescendant")).toBe("emoji-opt-10");
    const chosen = document.querySelector("#emoji-opt-10")!.getAttribute("data-emoji")!;
    expect(document.querySelector("#emoji-opt-10")!.getAttribute("aria-selected")).toBe("true");
    await fireEvent.keyDown(search, { key: "Enter" });
    await vi.waitFor(() => expect(box.value).toBe(chosen));
    await fireEvent.click(screen.getByRole("button", { name: "Emoji" }));
    const groups = [...document.querySelectorAll("#emoji-grid [role=group]")];
    expect(groups[0]!.querySelector("p")!.textContent).toBe("Recent");
    expect(groups[0]!.querySelector("[role=option]")!.getAttribute("data-emoji")).toBe(chosen);
    await fireEvent.keyDown(document.querySelector("#emoji-search")!, { key: "Escape" });
    expect(document.querySelector("#emoji-picker")).toBeNull();
    expect(box.value).toBe(chosen);
  });
});

describe("HTML, hidden notes and metadata", () => {
  it("HTML: the preview is sanitized like the timeline and the message goes as HTML", async () => {
    const { box, ipc } = setup();
    await fireEvent.click(document.querySelector("#html-toggle")!);
    await typeIn(box, '<b>Bold</b> <a href="javascript:alert(1)">x</a><img src=x onerror="alert(1)"><script>alert(2)</script>');
    const preview = document.querySelector("#html-preview")!;
    expect(preview.querySelector("b")?.textContent).toBe("Bold");
    expect(preview.querySelector("script")).toBeNull();
    expect(preview.querySelector("[onerror]")).toBeNull();
    expect(preview.querySelector("a")?.hasAttribute("href")).toBe(false);
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(ipc.calls.sendMessage).toHaveLength(1));
    expect(ipc.calls.sendMessage[0]!.html).toBe(true);
  });

  it("hidden: the message carries category HIDDEN, once", async () => {
    const { box, ipc } = setup();
    await fireEvent.click(document.querySelector("#hidden-toggle")!);
    expect(screen.getByRole("button", { name: "Send hidden" })).toBeTruthy();
    await typeIn(box, "Customer is a VIP");
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(richCalls(ipc)).toEqual([["sendRich", "g:1", "Customer is a VIP", 0, { category: "HIDDEN" }]]));
    expect(document.querySelector<HTMLInputElement>("#hidden-toggle")!.checked).toBe(false);
    await typeIn(box, "Next one is normal");
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(ipc.calls.sendMessage.map((c) => c.text)).toEqual(["Next one is normal"]));
  });

  it("metadata rows go with the message; a reserved key is shown inline and stops the send", async () => {
    const { box, ipc } = setup();
    await fireEvent.click(screen.getByRole("button", { name: "Metadata" }));
    await fireEvent.click(screen.getByRole("button", { name: "Add a key" }));
    await fireEvent.input(document.querySelector("#meta-key-0")!, { target: { value: "KM_STATUS" } });
    await fireEvent.input(document.querySelector("#meta-value-0")!, { target: { value: "closed" } });
    expect(document.querySelector("#meta-error-0")?.textContent).toBe("KM_STATUS is set by Parley or the platform.");
    await typeIn(box, "Done");
    await fireEvent.keyDown(box, { key: "Enter" });
    expect(document.querySelector("#composer-error")?.textContent).toBe("Fix the message metadata first.");
    expect(box.value).toBe("Done");
    expect(richCalls(ipc)).toEqual([]);
    await fireEvent.input(document.querySelector("#meta-key-0")!, { target: { value: "ticket" } });
    expect(screen.getByRole("button", { name: "Metadata (1)" })).toBeTruthy();
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(richCalls(ipc)).toEqual([["sendRich", "g:1", "Done", 0, { ticket: "closed" }]]));
  });
});
