import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import DixaPanel from "./DixaPanel.svelte";
import { createMockIpc, type MockIpc } from "../lib/ipc/mock";
import { MOCK_DIXA_TOKEN, dixaUser, type MockDixaOptions } from "../lib/ipc/mockDixa";
import type { Contact, DixaConversationRow } from "../lib/ipc/ipc";
import { dixaSettings, settingsRequest } from "../settings/settingsRequest.svelte";

const TOMAS = "0f6c8f5e-0000-4000-8000-000000000002";

function customer(over: Partial<Contact> = {}): Contact {
  return {
    userId: "customer-007",
    displayName: "Tomás Ruiz",
    email: "tomas.ruiz@example.com",
    phone: "+34 600 111 222",
    imageUrl: null,
    metadata: {},
    online: false,
    lastSeenAt: null,
    roleType: 3,
    ...over,
  };
}

function conv(id: number, state: string): DixaConversationRow {
  return { id, channel: "WidgetChat", state, createdAt: "2024-05-01T10:00:00Z", stateUpdatedAt: "2024-05-02T10:00:00Z" };
}

function tomas() {
  return dixaUser({
    id: TOMAS,
    displayName: "Tomás Ruiz",
    email: "tomas.ruiz@example.com",
    phoneNumber: "+34600111222",
    externalId: "CRM-1002",
    attributes: [
      { id: "a-tier", name: "Customer tier", identifier: "customer_tier", select: true, values: ["Gold"] },
      { id: "a-acct", name: "Account number", identifier: "account_number", select: false, values: [] },
    ],
  });
}

function setup(dixa: MockDixaOptions = {}, contact: Contact = customer()): MockIpc {
  const ipc = createMockIpc({ dixa: { savedToken: MOCK_DIXA_TOKEN, ...dixa } });
  render(DixaPanel, { ipc, contact });
  return ipc;
}

const section = () => document.querySelector<HTMLElement>("#dixa-section")!;
const field = (key: string) => document.querySelector<HTMLInputElement>(`#dixa-field-${key}`)!;
const calls = (ipc: MockIpc, name: string) => ipc.calls.people.filter((c) => c[0] === name);

afterEach(() => settingsRequest.clear());

describe("Dixa in the contact panel", () => {
  it("without a token shows a one-line hint whose link opens Settings › Dixa, and asks Dixa nothing", async () => {
    const ipc = setup({ savedToken: null });
    const link = await screen.findByRole("button", { name: "Open Dixa settings" });
    expect(section().textContent).toContain("Connect Dixa in Settings");
    await fireEvent.click(link);
    expect(settingsRequest.section).toBe("dixa");
    expect(calls(ipc, "dixaLookup")).toHaveLength(0);
  });

  it("finds the customer by email and shows the profile, attributes and Dixa conversations newest first", async () => {
    const ipc = setup({ users: [tomas()], conversations: { [TOMAS]: [conv(101, "Closed"), conv(102, "Open")] } });
    await vi.waitFor(() => expect(document.querySelector("#dixa-name")?.textContent).toBe("Tomás Ruiz"));
    expect(calls(ipc, "dixaLookup")[0]).toEqual(["dixaLookup", "tomas.ruiz@example.com", "+34 600 111 222", "customer-007"]);
    expect(section().textContent).toContain("Found by email");
    expect(document.querySelector("#dixa-profile")!.textContent).toContain("CRM-1002");
    const attrs = document.querySelector("#dixa-attributes")!;
    expect(attrs.querySelector('[data-attribute="customer_tier"]')!.textContent).toContain("Gold");
    // Attributes without a value are not listed.
    expect(attrs.querySelector('[data-attribute="account_number"]')).toBeNull();
    await vi.waitFor(() => expect(document.querySelectorAll("#dixa-conversations li")).toHaveLength(2));
    const rows = [...document.querySelectorAll<HTMLElement>("#dixa-conversations li")];
    expect(rows.map((r) => r.dataset.id)).toEqual(["102", "101"]);
    expect(rows[0]!.textContent).toContain("Open");
    expect(rows[0]!.textContent).toContain("WidgetChat");
  });

  it("falls back to the external id (the Kommunicate user id) when email and phone match nobody", async () => {
    setup({ users: [dixaUser({ id: TOMAS, displayName: "By id", externalId: "customer-007" })] }, customer({ email: "other@example.com", phone: null }));
    await vi.waitFor(() => expect(document.querySelector("#dixa-name")?.textContent).toBe("By id"));
    expect(section().textContent).toContain("Found by external id");
  });

  it("when not found offers Create in Dixa, prefilled from the Kommunicate contact; errors show beside their field", async () => {
    const ipc = setup({ users: [] });
    const create = await screen.findByRole("button", { name: "Create in Dixa" });
    expect(section().textContent).toContain("not in Dixa");
    await fireEvent.click(create);
    expect(field("displayName").value).toBe("Tomás Ruiz");
    expect(field("email").value).toBe("tomas.ruiz@example.com");
    expect(field("phoneNumber").value).toBe("+34 600 111 222");
    expect(field("externalId").value).toBe("customer-007");

    await fireEvent.input(field("email"), { target: { value: "tomas@" } });
    await fireEvent.click(screen.getByRole("button", { name: "Create in Dixa" }));
    await vi.waitFor(() => expect(document.querySelector("#dixa-error-email")?.textContent).toContain("not an email address"));
    expect(field("email").getAttribute("aria-invalid")).toBe("true");
    expect(field("displayName").getAttribute("aria-invalid")).toBeNull();

    await fireEvent.input(field("email"), { target: { value: "tomas.ruiz@example.com" } });
    await fireEvent.click(screen.getByRole("button", { name: "Create in Dixa" }));
    await vi.waitFor(() => expect(document.querySelector("#dixa-notice")?.textContent).toBe("Created in Dixa."));
    expect(document.querySelector("#dixa-name")!.textContent).toBe("Tomás Ruiz");
    expect(ipc.state.dixa.users).toHaveLength(1);
    expect(ipc.state.dixa.users[0]!.phoneNumber).toBe("+34600111222");
    expect(ipc.state.dixa.users[0]!.externalId).toBe("customer-007");
  });

  it("edits the profile and a custom attribute, sending only the changed attribute", async () => {
    const ipc = setup({ users: [tomas()] });
    await fireEvent.click(await screen.findByRole("button", { name: "Edit in Dixa" }));
    await fireEvent.input(field("firstName"), { target: { value: "Tomás" } });
    const acct = document.querySelector<HTMLInputElement>("#dixa-attr-a-acct")!;
    await fireEvent.input(acct, { target: { value: "ACC-9" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save to Dixa" }));
    await vi.waitFor(() => expect(document.querySelector("#dixa-notice")?.textContent).toBe("Saved in Dixa."));
    const [, id, form, attrs] = calls(ipc, "dixaUpdateEndUser")[0]!;
    expect(id).toBe(TOMAS);
    expect((form as { firstName: string }).firstName).toBe("Tomás");
    expect(attrs).toEqual([{ id: "a-acct", select: false, values: ["ACC-9"] }]);
    expect(document.querySelector('#dixa-attributes [data-attribute="account_number"]')!.textContent).toContain("ACC-9");
  });

  it("anonymize asks first, naming the person and saying it cannot be undone; cancel changes nothing", async () => {
    const ipc = setup({ users: [tomas()], conversations: { [TOMAS]: [conv(101, "Closed")] } });
    await fireEvent.click(await screen.findByRole("button", { name: "Anonymize…" }));
    const dialog = document.querySelector<HTMLDialogElement>("#dixa-anonymize-dialog")!;
    expect(dialog.open).toBe(true);
    expect(within(dialog).getByRole("heading").textContent).toBe("Anonymize Tomás Ruiz in Dixa?");
    expect(dialog.textContent).toContain("cannot be undone");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(calls(ipc, "dixaAnonymize")).toHaveLength(0);
    expect(ipc.state.dixa.users[0]!.anonymizedAt).toBeNull();

    await fireEvent.click(screen.getByRole("button", { name: "Anonymize…" }));
    await fireEvent.click(within(document.querySelector<HTMLDialogElement>("#dixa-anonymize-dialog")!).getByRole("button", { name: "Anonymize" }));
    await vi.waitFor(() => expect(document.querySelector("#dixa-anonymized")).toBeTruthy());
    expect(calls(ipc, "dixaAnonymize")).toEqual([["dixaAnonymize", TOMAS, false]]);
    expect(document.querySelector("#dixa-name")!.textContent).toBe("Anonymized user");
    // Nothing left to edit or anonymize.
    expect(document.querySelector("#dixa-edit")).toBeNull();
    expect(document.querySelector("#dixa-anonymize")).toBeNull();
  });

  it("when Dixa refuses because conversations are open, the dialog explains and offers Anonymize and force", async () => {
    const ipc = setup({ users: [tomas()], conversations: { [TOMAS]: [conv(102, "Open")] } });
    await fireEvent.click(await screen.findByRole("button", { name: "Anonymize…" }));
    const dialog = () => document.querySelector<HTMLDialogElement>("#dixa-anonymize-dialog")!;
    await fireEvent.click(within(dialog()).getByRole("button", { name: "Anonymize" }));
    await vi.waitFor(() => expect(document.querySelector("#dixa-force-text")).toBeTruthy());
    expect(dialog().open).toBe(true);
    expect(document.querySelector("#dixa-force-text")!.textContent).toContain("not closed");
    expect(ipc.state.dixa.users[0]!.anonymizedAt).toBeNull();
    await fireEvent.click(within(dialog()).getByRole("button", { name: "Anonymize and force" }));
    await vi.waitFor(() => expect(document.querySelector("#dixa-anonymized")).toBeTruthy());
    expect(calls(ipc, "dixaAnonymize").map((c) => c[2])).toEqual([false, true]);
    expect(ipc.state.dixa.conversations[TOMAS]![0]!.state).toBe("Closed");
  });

  it("a refused token says so and links to the settings instead of an error wall", async () => {
    setup({ savedToken: "stale-token", users: [tomas()] });
    await screen.findByRole("button", { name: "Open Dixa settings" });
    expect(document.querySelector("#dixa-no-token")!.textContent).toContain("Dixa refused this API token");
  });

  it("a slow Dixa (rate limit) shows a waiting note, gone once the answer arrives", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      setup({ users: [tomas()], delayMs: 4000 });
      await vi.advanceTimersByTimeAsync(4500);
      await vi.advanceTimersByTimeAsync(3200);
      expect(document.querySelector("#dixa-slow")?.textContent).toBe("Waiting for Dixa's rate limit…");
      await vi.advanceTimersByTimeAsync(5000);
      await vi.waitFor(() => expect(document.querySelector("#dixa-name")).toBeTruthy());
      expect(document.querySelector("#dixa-slow")).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("Dixa in the contact panel after a settings change", () => {
  it("looks the customer up again once a token is saved", async () => {
    const ipc = createMockIpc({ dixa: { savedToken: null, users: [tomas()] } });
    render(DixaPanel, { ipc, contact: customer() });
    await screen.findByRole("button", { name: "Open Dixa settings" });
    const r = await ipc.dixaConnect({ url: "https://dev.dixa.io/v1", token: MOCK_DIXA_TOKEN });
    expect(r.status).toBe("ok");
    dixaSettings.changed();
    await vi.waitFor(() => expect(document.querySelector("#dixa-name")?.textContent).toBe("Tomás Ruiz"));
  });
});
