import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import ConversationPane from "./ConversationPane.svelte";
import { BatchHub } from "../lib/batches";
import { ME, account, message, type MockIpc } from "../lib/ipc/mock";
import { base, scenario } from "../test-fixtures";
import { clearAgents } from "./agents";

function setup(ipc: MockIpc = scenario(), conversationId = "g:1") {
  const hub = new BatchHub();
  ipc.onBatch((b) => hub.emit(b));
  return { ipc, ...render(ConversationPane, { ipc, account: account(), hub, conversationId }) };
}

const options = () => [...document.querySelectorAll<HTMLElement>("[role=option]")];
const filter = () => document.querySelector<HTMLInputElement>("#assign-filter")!;

async function openMenu() {
  const button = await screen.findByRole("button", { name: "Assign…" });
  expect(button.id).toBe("assign-menu");
  await fireEvent.click(button);
  await vi.waitFor(() => expect(options().length).toBeGreaterThan(0));
  return button;
}

beforeEach(() => clearAgents());

describe("assign to another agent", () => {
  it("lists the account's agents with name, email and availability, the filter focused", async () => {
    setup();
    const button = await openMenu();
    expect(button.getAttribute("aria-expanded")).toBe("true");
    expect(document.activeElement).toBe(filter());
    // Available agents first, then by name.
    expect(options().map((o) => o.dataset.userId)).toEqual([ME, "bot:triage", "sam@parley.test", "lee@parley.test"]);
    const sam = document.querySelector<HTMLElement>('[role=option][data-user-id="sam@parley.test"]')!;
    expect(sam.textContent).toContain("Sam Support");
    expect(sam.textContent).toContain("sam@parley.test");
    expect(sam.textContent).toContain("available");
    expect(document.querySelector('[data-user-id="lee@parley.test"]')!.textContent).toContain("away");
    expect(options()[0]!.getAttribute("aria-selected")).toBe("true");
  });

  it("filters by name or email; arrows and Enter choose; the header shows the new assignee", async () => {
    const { ipc } = setup();
    await openMenu();
    await fireEvent.input(filter(), { target: { value: "parley.test" } });
    expect(options().map((o) => o.dataset.userId)).toEqual([ME, "sam@parley.test", "lee@parley.test"]);
    await fireEvent.keyDown(filter(), { key: "ArrowDown" });
    await fireEvent.keyDown(filter(), { key: "ArrowDown" });
    expect(options()[2]!.getAttribute("aria-selected")).toBe("true");
    expect(filter().getAttribute("aria-activedescendant")).toBe(options()[2]!.id);
    await fireEvent.keyDown(filter(), { key: "ArrowUp" });
    await fireEvent.input(filter(), { target: { value: "billing" } });
    expect(options().map((o) => o.dataset.userId)).toEqual(["lee@parley.test"]);
    await fireEvent.keyDown(filter(), { key: "Enter" });
    await vi.waitFor(() => expect(ipc.calls.assign).toEqual([{ conversationId: "g:1", assignee: "lee@parley.test" }]));
    expect(await screen.findByText("Assigned to Lee Billing")).toBeTruthy();
    expect(document.querySelector("#assign-popover")).toBeNull();
    expect(document.activeElement?.id).toBe("assign-menu");
  });

  it("chooses with a click, and Escape closes without assigning", async () => {
    const { ipc } = setup();
    await openMenu();
    await fireEvent.keyDown(filter(), { key: "Escape" });
    expect(document.querySelector("#assign-popover")).toBeNull();
    expect(document.activeElement?.id).toBe("assign-menu");
    expect(ipc.calls.assign).toEqual([]);

    await openMenu();
    await fireEvent.click(document.querySelector('[data-user-id="sam@parley.test"]')!);
    expect(await screen.findByText("Assigned to Sam Support")).toBeTruthy();
    expect(ipc.calls.assign).toEqual([{ conversationId: "g:1", assignee: "sam@parley.test" }]);
  });

  it("fetches the agents once per account", async () => {
    const { ipc } = setup();
    await openMenu();
    await fireEvent.keyDown(filter(), { key: "Escape" });
    await openMenu();
    expect(ipc.calls.agents).toEqual(["acc-1"]);
  });

  it("names another agent's assignment in the header from the agents list", async () => {
    const ipc = scenario();
    ipc.state.conversations = ipc.state.conversations.map((c) => (c.id === "g:1" ? { ...c, assignee: "sam@parley.test" } : c));
    setup(ipc);
    expect(await screen.findByText("Assigned to Sam Support")).toBeTruthy();
  });

  it("shows why agents could not be listed, and retries", async () => {
    const ipc = scenario({ fail: { agents: { code: "unreachable", message: "Server unreachable.", field: null } } });
    setup(ipc);
    await fireEvent.click(await screen.findByRole("button", { name: "Assign…" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Agents could not be loaded: Server unreachable.");
    await fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    await vi.waitFor(() => expect(ipc.calls.agents).toHaveLength(2));
  });

  it("shows an assignment that fails", async () => {
    setup(scenario({ fail: { assign: { code: "forbidden", message: "Not allowed.", field: null } } }));
    await openMenu();
    await fireEvent.click(document.querySelector('[data-user-id="sam@parley.test"]')!);
    expect((await screen.findByRole("alert")).textContent).toContain("Assign failed: Not allowed.");
    expect(screen.getByText("Assigned to you")).toBeTruthy();
  });
});

describe("queued messages", () => {
  it("mark a message waiting in the send queue with a visible 'Queued'", async () => {
    const ipc = scenario();
    ipc.state.messages["g:1"] = [
      message({ key: "q1", conversationId: "g:1", senderId: ME, direction: "outgoing", state: "queued", createdAt: base, text: "later" }),
      message({ key: "f1", conversationId: "g:1", senderId: ME, direction: "outgoing", state: "failed", createdAt: base + 1, text: "broken" }),
    ];
    setup(ipc);
    await screen.findByText("later");
    const ticks = document.querySelector<HTMLElement>('[data-key="q1"] .ticks')!;
    expect(ticks.dataset.state).toBe("queued");
    expect(ticks.querySelector(".visually-hidden")).toBeNull();
    expect(ticks.textContent?.trim()).toBe("Queued");
    expect(document.querySelector('[data-key="f1"] .ticks')?.textContent).toContain("Not sent");
  });
});
