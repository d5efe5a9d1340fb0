import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import NewConversationDialog from "./NewConversationDialog.svelte";
import App from "../App.svelte";
import { ME, type MockIpc } from "../lib/ipc/mock";
import type { Contact } from "../lib/ipc/ipc";
import { clearAgents } from "../conversation/agents";
import { scenario } from "../test-fixtures";

function person(userId: string, displayName: string, over: Partial<Contact> = {}): Contact {
  return { userId, displayName, email: `${userId}@example.com`, phone: null, imageUrl: null, metadata: {}, online: false, lastSeenAt: null, roleType: 3, ...over };
}

const zoe = person("zoe", "Zoë Customer");
const el = <T extends HTMLElement = HTMLInputElement>(css: string) => document.querySelector<T>(css)!;
const starts = (ipc: MockIpc) => ipc.calls.people.filter((c) => c[0] === "startConversation").map((c) => c[1]);

function dialog(customer: Contact | null = zoe, ipc: MockIpc = scenario({ people: { zoe } })) {
  const onStarted = vi.fn();
  const onClose = vi.fn();
  render(NewConversationDialog, { ipc, accountId: "acc-1", me: ME, customer, onStarted, onClose });
  return { ipc, onStarted, onClose };
}

/** The agents' options once they are listed. */
async function agentsListed() {
  await vi.waitFor(() => expect(el<HTMLSelectElement>("#new-conversation-assignee").options.length).toBeGreaterThan(1));
}

beforeEach(() => {
  clearAgents();
  localStorage.clear();
});

describe("new conversation with a known customer", () => {
  it("starts it assigned to the chosen agent, which skips routing, with a title and a first message", async () => {
    const { ipc, onStarted } = dialog();
    expect(el<HTMLDialogElement>("dialog#new-conversation-form").open).toBe(true);
    expect(screen.getByRole("heading", { name: "New conversation with Zoë Customer" })).toBeTruthy();
    await agentsListed();
    const labels = [...el<HTMLSelectElement>("#new-conversation-assignee").options].map((o) => o.textContent);
    expect(labels[0]).toBe("Let routing decide");
    expect(labels).toContain("Me (Ada Agent)");
    expect(labels).toContain("Lee Billing (away)");
    await fireEvent.change(el("#new-conversation-assignee"), { target: { value: "sam@parley.test" } });
    expect(el("#new-conversation-skip-routing").checked).toBe(true);
    expect(el("#new-conversation-skip-routing").disabled).toBe(true);
    await fireEvent.input(el("#new-conversation-title"), { target: { value: "  Renewal  " } });
    await fireEvent.input(el("#new-conversation-message"), { target: { value: "Hi Zoë, about your renewal…" } });
    await fireEvent.click(el("#new-conversation-start"));
    await vi.waitFor(() => expect(onStarted).toHaveBeenCalledTimes(1));
    expect(starts(ipc)).toEqual([
      { customerId: "zoe", title: "Renewal", assignee: "sam@parley.test", skipRouting: true, message: "Hi Zoë, about your renewal…" },
    ]);
    const c = onStarted.mock.calls[0]![0];
    expect(c).toMatchObject({ customerId: "zoe", title: "Renewal", assignee: "sam@parley.test" });
  });

  it("lets routing decide by default, and skipping routing without an assignee leaves it unassigned", async () => {
    const { ipc, onStarted } = dialog();
    await agentsListed();
    expect(el("#new-conversation-skip-routing").checked).toBe(false);
    await fireEvent.click(el("#new-conversation-start"));
    await vi.waitFor(() => expect(onStarted).toHaveBeenCalledTimes(1));
    expect(starts(ipc)).toEqual([{ customerId: "zoe", title: null, assignee: null, skipRouting: false, message: null }]);

    const second = dialog();
    await agentsListed();
    const boxes = document.querySelectorAll<HTMLInputElement>("#new-conversation-skip-routing");
    await fireEvent.click(boxes[boxes.length - 1]!);
    const buttons = document.querySelectorAll<HTMLButtonElement>("#new-conversation-start");
    await fireEvent.click(buttons[buttons.length - 1]!);
    await vi.waitFor(() => expect(second.onStarted).toHaveBeenCalledTimes(1));
    expect(starts(second.ipc)).toEqual([{ customerId: "zoe", title: null, assignee: null, skipRouting: true, message: null }]);
  });

  it("shows why the server refused, and stays open", async () => {
    const ipc = scenario({ people: { zoe }, failPeople: { startConversation: { code: "forbidden", message: "Agents only.", field: null } } });
    const { onStarted } = dialog(zoe, ipc);
    await fireEvent.click(el("#new-conversation-start"));
    expect((await screen.findByRole("alert")).textContent).toBe("The conversation was not started: Agents only.");
    expect(onStarted).not.toHaveBeenCalled();
    expect(el<HTMLDialogElement>("dialog#new-conversation-form").open).toBe(true);
  });
});

describe("new conversation from the inbox header", () => {
  it("finds the customer by name, starts the conversation and opens it", async () => {
    const ipc = scenario({ people: { zoe, agentSam: person("sam@parley.test", "Sam Support", { roleType: 8 }) } });
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    await fireEvent.click(el("#new-conversation"));
    expect(el<HTMLDialogElement>("dialog#new-conversation-form").open).toBe(true);

    // A customer is required.
    await fireEvent.click(el("#new-conversation-start"));
    expect(el("#new-conversation-customer-error").textContent).toBe("Choose the customer to talk to.");
    expect(starts(ipc)).toEqual([]);

    await fireEvent.input(el("#new-conversation-customer"), { target: { value: "zo" } });
    const option = await vi.waitFor(() => {
      const o = document.querySelector<HTMLElement>('#new-conversation-customers [data-user-id="zoe"]');
      if (!o) throw new Error("no option for zoe yet");
      return o;
    });
    expect(document.querySelector('#new-conversation-customers [data-user-id="sam@parley.test"]')).toBeNull();
    await fireEvent.click(option);
    expect(el(".chosen").textContent).toContain("Zoë Customer");
    await fireEvent.input(el("#new-conversation-message"), { target: { value: "Hello from support" } });
    await fireEvent.click(el("#new-conversation-start"));

    await screen.findByRole("heading", { name: "Zoë Customer", level: 2 });
    expect(document.querySelector("dialog#new-conversation-form")).toBeNull();
    expect(starts(ipc)).toEqual([{ customerId: "zoe", title: null, assignee: null, skipRouting: false, message: "Hello from support" }]);
    const started = ipc.state.conversations.at(-1)!;
    expect(started.customerId).toBe("zoe");
    expect(ipc.calls.openConversation.at(-1)).toBe(started.id);
    // The inbox selects it too (it is unassigned: the inbox switches to a view that holds it).
    await vi.waitFor(() => expect(document.querySelector(`#inbox-list [data-id="${started.id}"]`)?.getAttribute("aria-current")).toBe("true"));
  });
});
