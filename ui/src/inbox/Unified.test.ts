// The unified inbox: every signed-in account in one list, through the whole app (the account
// switch it causes lives above the inbox).
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { account, conversation, emptyBatch, message } from "../lib/ipc/mock";
import { HOUR, base, scenario, settle } from "../test-fixtures";

const ada = account();
const sam = account({ id: "acc-2", userId: "sam@parley.test", displayName: "Sam Support" });
const wendy = account({ id: "acc-3", userId: "wendy@shop.example", displayName: "Wendy Shop", platform: "wapikit" });

/** Three accounts: two on Kommunicate (Ada's is the shared fixture inbox), one on WhatsApp. */
function threeAccounts() {
  return scenario({
    accounts: [ada, sam, wendy],
    accountConversations: {
      "acc-2": [
        conversation({ id: "g:21", title: "Sam's Customer", assignee: sam.userId, lastActivityAt: base + 4.5 * HOUR, lastMessagePreview: "Where is my parcel?" }),
      ],
      "acc-3": [
        conversation({ id: "wa:31", title: "+44 7700 900123", assignee: wendy.userId, lastActivityAt: base + 6 * HOUR, lastMessagePreview: "Is the shop open?" }),
      ],
    },
    messages: {
      "g:1": [message({ key: "a1", conversationId: "g:1", senderId: "alice", createdAt: base, text: "Refund for the invoice" })],
      "g:21": [message({ key: "s1", conversationId: "g:21", senderId: "customer-21", createdAt: base + HOUR, text: "Where is my parcel? Refund maybe" })],
      "wa:31": [message({ key: "w1", conversationId: "wa:31", senderId: "+447700900123", createdAt: base + 2 * HOUR, text: "Is the shop open? I want a refund" })],
    },
  });
}

const rowsShown = () =>
  [...document.querySelectorAll<HTMLElement>("#inbox-list .row")].map((r) => `${r.dataset.account}/${r.querySelector(".title")?.textContent}`);
const row = (accountId: string, id: string) => document.querySelector<HTMLElement>(`#inbox-list .row[data-account="${accountId}"][data-id="${id}"]`);

async function chooseScope(value: string) {
  const select = document.querySelector<HTMLSelectElement>("#inbox-scope")!;
  select.value = value;
  await fireEvent.change(select);
}

describe("unified inbox", () => {
  it("test_unified_inbox_lists_rows_of_every_account_with_badges", async () => {
    const ipc = threeAccounts();
    render(App, { ipc });
    await screen.findByText("+44 7700 900123");
    // Every account's "Mine", newest first, from one IPC call (the prefetched first page).
    expect(rowsShown()).toEqual(["acc-3/+44 7700 900123", "acc-1/Alice Martin", "acc-2/Sam's Customer", "acc-1/Bob Stone", "acc-1/Carol Diaz"]);
    expect(ipc.calls.unifiedInbox).toEqual([{ view: "assigned_to_me", sort: "newest", offset: 0, limit: 100, accounts: null, platform: null }]);
    expect(ipc.calls.inbox).toEqual([]);
    // The tabs count every account's conversations.
    expect(document.querySelector('.count[data-view="assigned_to_me"]')?.textContent).toBe("5");

    const whatsapp = row("acc-3", "wa:31")!;
    expect(within(whatsapp).getByRole("img", { name: "WhatsApp" })).toBeTruthy();
    // The only WhatsApp account: the badge says enough.
    expect(whatsapp.querySelector(".platform .account")).toBeNull();
    // Two Kommunicate accounts: each row says whose it is, and "You" is that account's agent.
    const sams = row("acc-2", "g:21")!;
    expect(within(sams).getByRole("img", { name: "Kommunicate" })).toBeTruthy();
    expect(sams.querySelector(".platform .account")?.textContent).toBe("Sam Support");
    expect(sams.querySelector(".assignee")?.textContent).toBe("You");
    expect(row("acc-1", "g:1")!.querySelector(".platform .account")?.textContent).toBe("Ada Agent");
  });

  it("test_unified_inbox_filters_by_platform_and_by_account", async () => {
    const ipc = threeAccounts();
    render(App, { ipc });
    await screen.findByText("+44 7700 900123");
    const scope = screen.getByRole("combobox", { name: "Show conversations of" });
    expect([...scope.querySelectorAll("option")].map((o) => o.textContent)).toEqual([
      "All accounts",
      "Ada Agent · Kommunicate",
      "Sam Support · Kommunicate",
      "Wendy Shop · WhatsApp",
      "Every Kommunicate account",
      "Every WhatsApp account",
    ]);

    await chooseScope("platform:wapikit");
    await vi.waitFor(() => expect(rowsShown()).toEqual(["acc-3/+44 7700 900123"]));
    expect(ipc.calls.unifiedInbox.at(-1)).toMatchObject({ accounts: null, platform: "wapikit" });
    expect(document.querySelector('.count[data-view="assigned_to_me"]')?.textContent).toBe("1");

    await chooseScope("account:acc-2");
    await vi.waitFor(() => expect(rowsShown()).toEqual(["acc-2/Sam's Customer"]));
    expect(ipc.calls.unifiedInbox.at(-1)).toMatchObject({ accounts: ["acc-2"], platform: null });

    // The view tabs and the sort order still work within the scope.
    await fireEvent.click(screen.getByRole("tab", { name: /All/ }));
    await vi.waitFor(() => expect(ipc.calls.unifiedInbox.at(-1)).toMatchObject({ view: "all", accounts: ["acc-2"] }));

    await chooseScope("platform:kommunicate");
    await vi.waitFor(() => expect(rowsShown()).toContain("acc-1/Dan Unassigned"));
    expect(rowsShown().some((r) => r.startsWith("acc-3/"))).toBe(false);
    await chooseScope("all");
    await vi.waitFor(() => expect(rowsShown()[0]).toBe("acc-3/+44 7700 900123"));
  });

  it("test_opening_a_row_of_another_account_switches_account_and_keeps_the_list", async () => {
    const ipc = threeAccounts();
    render(App, { ipc });
    await screen.findByText("+44 7700 900123");
    expect(document.querySelector(".status-bar .who")?.textContent).toBe("Ada Agent");
    const list = document.querySelector<HTMLElement>("#inbox-list")!;
    list.scrollTop = 40;
    const reads = ipc.calls.unifiedInbox.length;

    await fireEvent.click(row("acc-2", "g:21")!);
    expect(await screen.findByRole("heading", { name: "Sam's Customer" })).toBeTruthy();
    // Sam's account is now the current one: the status bar, the pane and its calls are Sam's.
    expect(document.querySelector(".status-bar .who")?.textContent).toBe("Sam Support");
    expect(ipc.calls.byAccount).toContainEqual(["openConversation", "acc-2", "g:21"]);
    // The list stayed as it was: same element, same place, not read again, the row selected and open.
    await settle(2);
    expect(document.querySelector("#inbox-list")).toBe(list);
    expect(list.scrollTop).toBe(40);
    expect(ipc.calls.unifiedInbox.length).toBe(reads);
    expect(row("acc-2", "g:21")!.classList.contains("selected")).toBe(true);
    expect(row("acc-2", "g:21")!.getAttribute("aria-current")).toBe("true");

    // A reply goes out under Sam's account.
    const box = await screen.findByLabelText<HTMLTextAreaElement>("Reply");
    await fireEvent.input(box, { target: { value: "It left the warehouse today" } });
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(ipc.calls.byAccount).toContainEqual(["sendMessage", "acc-2", "g:21"]));

    // Back to one of Ada's: Ada is current again.
    await fireEvent.click(row("acc-1", "g:2")!);
    expect(await screen.findByRole("heading", { name: "Bob Stone" })).toBeTruthy();
    expect(document.querySelector(".status-bar .who")?.textContent).toBe("Ada Agent");
    expect(row("acc-2", "g:21")!.getAttribute("aria-current")).toBeNull();
  });

  it("test_resolve_and_next_moves_on_to_the_next_row_even_of_another_account", async () => {
    const ipc = threeAccounts();
    render(App, { ipc });
    await screen.findByText("+44 7700 900123");
    await fireEvent.click(row("acc-2", "g:21")!);
    expect(await screen.findByRole("heading", { name: "Sam's Customer" })).toBeTruthy();
    await fireEvent.keyDown(document.body, { key: "E", shiftKey: true });
    // The next row is Ada's "Bob Stone": Ada's account becomes the current one again.
    expect(await screen.findByRole("heading", { name: "Bob Stone" })).toBeTruthy();
    expect(document.querySelector(".status-bar .who")?.textContent).toBe("Ada Agent");
    expect(ipc.calls.setStatus).toContainEqual({ conversationId: "g:21", status: "resolved" });
  });

  it("test_batches_of_another_account_refresh_the_unified_list", async () => {
    const ipc = threeAccounts();
    render(App, { ipc });
    await screen.findByText("+44 7700 900123");
    await vi.waitFor(() => expect(ipc.listenerCount()).toBe(2));
    // A new WhatsApp conversation arrives while Ada's account is the current one.
    ipc.state.accountConversations["acc-3"]!.push(
      conversation({ id: "wa:32", title: "+44 7700 900456", assignee: wendy.userId, lastActivityAt: base + 7 * HOUR, unread: 1 }),
    );
    ipc.emit(emptyBatch({ accountId: "acc-3", conversations: ["wa:32"] }));
    await vi.waitFor(() => expect(rowsShown()[0]).toBe("acc-3/+44 7700 900456"));
    expect(document.querySelector(".status-bar .who")?.textContent).toBe("Ada Agent");
  });

  it("test_unified_search_finds_messages_of_every_account_and_opens_the_hit_under_its_account", async () => {
    const ipc = threeAccounts();
    render(App, { ipc });
    await screen.findByText("+44 7700 900123");
    const search = document.querySelector<HTMLInputElement>("#inbox-search")!;
    await fireEvent.input(search, { target: { value: "refund" } });
    await vi.waitFor(() => expect(document.querySelectorAll(".hits button")).toHaveLength(3));
    expect(ipc.calls.unifiedSearch.at(-1)).toEqual({ terms: "refund", accounts: null, platform: null });
    const hits = [...document.querySelectorAll<HTMLElement>(".hits button")];
    expect(hits.map((h) => h.dataset.account)).toEqual(["acc-3", "acc-2", "acc-1"]);
    expect(within(hits[0]!).getByRole("img", { name: "WhatsApp" })).toBeTruthy();
    await fireEvent.click(hits[0]!);
    expect(await screen.findByRole("heading", { name: "+44 7700 900123" })).toBeTruthy();
    expect(document.querySelector(".status-bar .who")?.textContent).toBe("Wendy Shop");
  });

  it("test_the_palette_finds_conversations_of_every_account_and_opens_one_under_its_account", async () => {
    const ipc = threeAccounts();
    render(App, { ipc });
    await screen.findByText("+44 7700 900123");
    await fireEvent.keyDown(document.body, { key: "k", code: "KeyK", ctrlKey: true });
    const input = await vi.waitFor(() => document.querySelector<HTMLInputElement>("#palette-input")!);
    await vi.waitFor(() => {
      const accounts = [...document.querySelectorAll<HTMLElement>("#palette-list [data-conversation]")].map((o) => o.dataset.account);
      expect(new Set(accounts)).toEqual(new Set(["acc-1", "acc-2", "acc-3"]));
    });
    await fireEvent.input(input, { target: { value: "7700" } });
    const option = await vi.waitFor(() => {
      const found = [...document.querySelectorAll<HTMLElement>("#palette-list [data-conversation]")];
      expect(found.map((o) => `${o.dataset.account}/${o.dataset.conversation}`)).toEqual(["acc-3/wa:31"]);
      return found[0]!;
    });
    expect(within(option).getByRole("img", { name: "WhatsApp" })).toBeTruthy();
    await fireEvent.click(option);
    expect(await screen.findByRole("heading", { name: "+44 7700 900123" })).toBeTruthy();
    expect(document.querySelector(".status-bar .who")?.textContent).toBe("Wendy Shop");
  });

  it("test_a_notification_of_another_account_opens_it_in_the_unified_list", async () => {
    const ipc = threeAccounts();
    render(App, { ipc });
    await screen.findByText("+44 7700 900123");
    ipc.emitOpen({ accountId: "acc-3", conversationId: "wa:31" });
    expect(await screen.findByRole("heading", { name: "+44 7700 900123" })).toBeTruthy();
    expect(document.querySelector(".status-bar .who")?.textContent).toBe("Wendy Shop");
    await vi.waitFor(() => expect(row("acc-3", "wa:31")!.classList.contains("selected")).toBe(true));
  });

  it("test_a_notification_of_an_account_outside_the_scope_shows_every_account_again", async () => {
    const ipc = threeAccounts();
    render(App, { ipc });
    await screen.findByText("+44 7700 900123");
    await chooseScope("account:acc-2");
    await vi.waitFor(() => expect(rowsShown()).toEqual(["acc-2/Sam's Customer"]));
    ipc.emitOpen({ accountId: "acc-3", conversationId: "wa:31" });
    expect(await screen.findByRole("heading", { name: "+44 7700 900123" })).toBeTruthy();
    await vi.waitFor(() => expect(row("acc-3", "wa:31")?.classList.contains("selected")).toBe(true));
    expect(document.querySelector<HTMLSelectElement>("#inbox-scope")!.value).toBe("all");
  });

  it("test_signing_out_down_to_one_account_returns_to_the_one_account_inbox", async () => {
    const ipc = threeAccounts();
    render(App, { ipc });
    await screen.findByText("+44 7700 900123");
    for (const name of ["Sam Support", "Wendy Shop"]) {
      if (!document.querySelector("#account-panel")) await fireEvent.click(screen.getByRole("button", { name: /^Accounts/ }));
      await fireEvent.click(await screen.findByRole("button", { name: `Sign out ${name}` }));
    }
    await vi.waitFor(() => expect(document.querySelector("#inbox-scope")).toBeNull());
    await vi.waitFor(() => expect(rowsShown()).toEqual(["acc-1/Alice Martin", "acc-1/Bob Stone", "acc-1/Carol Diaz"]));
    expect(document.querySelector("#inbox-list .platform")).toBeNull();
    expect(ipc.calls.inbox.at(-1)).toMatchObject({ view: "assigned_to_me", offset: 0 });
  });

  it("test_one_account_sees_no_scope_control_and_no_badges", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    expect(document.querySelector("#inbox-scope")).toBeNull();
    expect(document.querySelector("#inbox-list .platform")).toBeNull();
    expect(ipc.calls.unifiedInbox).toEqual([]);
  });
});
