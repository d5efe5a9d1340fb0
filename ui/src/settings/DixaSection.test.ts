import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import DixaSection from "./DixaSection.svelte";
import DixaImportResults from "./DixaImportResults.svelte";
import { createMockIpc, type MockIpc } from "../lib/ipc/mock";
import { MOCK_DIXA_TOKEN, dixaUser, type MockDixaOptions } from "../lib/ipc/mockDixa";
import type { DixaImport } from "../lib/ipc/ipc";

function setup(dixa: MockDixaOptions = {}): MockIpc {
  const ipc = createMockIpc({ dixa });
  render(DixaSection, { ipc });
  return ipc;
}

const box = (id: string) => document.querySelector<HTMLInputElement>(`#${id}`)!;
const state = () => document.querySelector("#dixa-state")!.textContent!.trim();

describe("Settings › Dixa", () => {
  it("a refused token is said to be refused beside the token field, and nothing is saved", async () => {
    const ipc = setup();
    await vi.waitFor(() => expect(state()).toContain("No token saved"));
    expect(box("dixa-url").value).toBe("https://dev.dixa.io/v1");
    await fireEvent.input(box("dixa-token"), { target: { value: "wrong-token" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save and check" }));
    await vi.waitFor(() => expect(document.querySelector("#dixa-token-error")?.textContent).toContain("Dixa refused this API token"));
    expect(box("dixa-token").getAttribute("aria-invalid")).toBe("true");
    expect(ipc.state.dixa.savedToken).toBeNull();
    // The pasted token does not stay in the page.
    expect(box("dixa-token").value).toBe("");
  });

  it("an unreachable address says so; an address over plain http to another machine is refused", async () => {
    setup();
    await vi.waitFor(() => expect(state()).toContain("No token saved"));
    await fireEvent.input(box("dixa-url"), { target: { value: "https://unreachable.example/v1" } });
    await fireEvent.input(box("dixa-token"), { target: { value: MOCK_DIXA_TOKEN } });
    await fireEvent.click(screen.getByRole("button", { name: "Save and check" }));
    await vi.waitFor(() => expect(document.querySelector("#dixa-connect-error")?.textContent).toContain("cannot be reached"));
    await fireEvent.input(box("dixa-url"), { target: { value: "http://dixa.example/v1" } });
    await fireEvent.input(box("dixa-token"), { target: { value: MOCK_DIXA_TOKEN } });
    await fireEvent.click(screen.getByRole("button", { name: "Save and check" }));
    await vi.waitFor(() => expect(document.querySelector("#dixa-url-error")?.textContent).toContain("https://"));
  });

  it("a good token is checked, saved, shown as connected (never shown again) and can be removed", async () => {
    const ipc = setup();
    await vi.waitFor(() => expect(state()).toContain("No token saved"));
    await fireEvent.input(box("dixa-url"), { target: { value: "http://127.0.0.1:18080" } });
    await fireEvent.input(box("dixa-token"), { target: { value: MOCK_DIXA_TOKEN } });
    await fireEvent.click(screen.getByRole("button", { name: "Save and check" }));
    await vi.waitFor(() => expect(state()).toBe("Connected to http://127.0.0.1:18080/v1"));
    expect(ipc.state.dixa.savedToken).toBe(MOCK_DIXA_TOKEN);
    expect(box("dixa-token").value).toBe("");
    expect(document.body.innerHTML).not.toContain(MOCK_DIXA_TOKEN);
    expect(document.querySelector("#dixa-notice")!.textContent).toContain("saved in the keyring");
    await fireEvent.click(screen.getByRole("button", { name: "Remove token" }));
    await vi.waitFor(() => expect(state()).toContain("No token saved"));
    expect(ipc.state.dixa.savedToken).toBeNull();
  });

  it("imports a picked CSV and lists every row: created, not valid and failed with the reason", async () => {
    const ipc = setup({
      savedToken: MOCK_DIXA_TOKEN,
      users: [dixaUser({ email: "taken@example.com" })],
      pickedCsv: { name: "people.csv", text: "name,email\nAnn Lee,ann@example.com\nBad Row,not-an-email\nTaken,taken@example.com\n" },
    });
    const pick = await screen.findByRole("button", { name: "Choose a CSV file…" });
    await vi.waitFor(() => expect(pick.hasAttribute("disabled")).toBe(false));
    await fireEvent.click(pick);
    await vi.waitFor(() => expect(document.querySelector("#dixa-import-summary")?.textContent).toContain("people.csv: 1 created, 2 not created."));
    const rows = [...document.querySelectorAll<HTMLElement>("#dixa-import-results tbody tr")];
    // Rows needing attention first, then in file order.
    expect(rows.map((r) => [r.dataset.row, r.dataset.result])).toEqual([
      ["3", "rejected"],
      ["4", "failed"],
      ["2", "created"],
    ]);
    expect(rows[0]!.textContent).toContain("Not valid");
    expect(rows[0]!.textContent).toContain("not an email address");
    expect(rows[1]!.textContent).toContain("EmailExists");
    expect(rows[2]!.textContent).toContain("ann@example.com");
    expect(rows[2]!.textContent).toContain("Ann Lee");
    expect(ipc.state.dixa.users.map((u) => u.email)).toContain("ann@example.com");
  });

  it("the import button waits for a token", async () => {
    setup({ savedToken: null });
    await vi.waitFor(() => expect(state()).toContain("No token saved"));
    expect(screen.getByRole("button", { name: "Choose a CSV file…" }).hasAttribute("disabled")).toBe(true);
    expect(document.body.textContent).toContain("Save a token first.");
  });
});

describe("import results", () => {
  it("caps a long table and says how many rows are not shown", () => {
    const result: DixaImport = {
      fileName: "big.csv",
      rows: Array.from({ length: 1200 }, (_, i) => ({ row: i + 2, name: null, email: `u${i}@example.com`, result: "created", id: `id-${i}`, message: null })),
      created: 1200,
      notCreated: 0,
      ignoredColumns: ["Shoe size"],
      stopped: null,
    };
    render(DixaImportResults, { result, limit: 500 });
    expect(document.querySelectorAll("#dixa-import-results tbody tr")).toHaveLength(500);
    expect(document.querySelector("#dixa-import-more")!.textContent).toBe("700 more rows are not shown.");
    expect(document.body.textContent).toContain("Columns not imported: Shoe size");
  });
});
