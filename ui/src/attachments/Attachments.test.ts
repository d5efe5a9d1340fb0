import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import ConversationPane from "../conversation/ConversationPane.svelte";
import { BatchHub } from "../lib/batches";
import { ME, account, emptyBatch, message, type MockIpc, type MockOptions } from "../lib/ipc/mock";
import type { Result } from "../lib/ipc/ipc";
import { base, scenario } from "../test-fixtures";
import { clearPreviews } from "./previews";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGO44OAARAwQCgAnDgVB0hsW7gAAAABJRU5ErkJggg==";
const pngBytes = () => Uint8Array.from(atob(PNG), (c) => c.charCodeAt(0));

function setup(ipc: MockIpc = scenario(), conversationId = "g:1") {
  const hub = new BatchHub();
  ipc.onBatch((b) => hub.emit(b));
  const r = render(ConversationPane, { ipc, account: account(), hub, conversationId });
  return { ipc, hub, ...r };
}

type Spec = { key: string; name?: string; size?: number; type?: string; blobKey?: string | null; url?: string | null; thumbnailUrl?: string | null };

function withAttachments(atts: Spec[], over: MockOptions = {}) {
  const ipc = scenario(over);
  ipc.state.messages["g:1"] = atts.map(({ key, name, size, type, blobKey, url, thumbnailUrl }, i) =>
    message({
      key,
      conversationId: "g:1",
      senderId: "alice",
      createdAt: base + i * 1000,
      text: "",
      contentType: 1,
      attachment: {
        name: name ?? "file.bin",
        size: size ?? 1000,
        contentType: type ?? "application/octet-stream",
        blobKey: blobKey === undefined ? `blob-${key}` : blobKey,
        url: url ?? null,
        thumbnailUrl: thumbnailUrl ?? null,
      },
    }),
  );
  return ipc;
}

const log = () => document.querySelector<HTMLElement>('[role="log"]')!;
const composerError = () => document.querySelector("#composer-error")?.textContent ?? "";

beforeEach(() => clearPreviews());

describe("sending files from the composer", () => {
  it("the attach button opens the shell's file dialog and the sent file's echo shows in the timeline", async () => {
    const ipc = scenario({ picked: [{ name: "contract.pdf", size: 52_000 }] });
    setup(ipc);
    const attach = await screen.findByRole("button", { name: "Attach files" });
    expect(attach.id).toBe("attach");
    await fireEvent.click(attach);
    await vi.waitFor(() => expect(ipc.calls.pickAndSendFiles).toEqual(["g:1"]));
    const row = await vi.waitFor(() => {
      const el = log().querySelector<HTMLElement>('[data-key="local-2"]');
      if (!el) throw new Error("no echo yet");
      return el;
    });
    expect(row.textContent).toContain("contract.pdf");
    expect(row.querySelector(".ticks")?.getAttribute("data-state")).toBe("queued");
    expect(composerError()).toBe("");
  });

  it("shows the file dialog's error in the composer's error line", async () => {
    setup(scenario({ fail: { pickAndSendFiles: { code: "unreachable", message: "Server unreachable.", field: null } } }));
    await fireEvent.click(await screen.findByRole("button", { name: "Attach files" }));
    await vi.waitFor(() => expect(composerError()).toBe("Server unreachable."));
    expect(screen.getByRole("alert").id).toBe("composer-error");
  });

  it("sends a pasted image's bytes as base64 and keeps ordinary text pastes as text", async () => {
    const ipc = scenario();
    setup(ipc);
    const box = await screen.findByLabelText<HTMLTextAreaElement>("Reply");
    expect(box.id).toBe("composer-input");
    const file = new File([pngBytes()], "receipt.png", { type: "image/png" });
    const pasted = await fireEvent.paste(box, { clipboardData: { items: [{ kind: "file", getAsFile: () => file }], files: [file] } });
    expect(pasted).toBe(false); // the default (pasting a file name) was prevented
    await vi.waitFor(() => expect(ipc.calls.sendAttachment).toEqual([{ conversationId: "g:1", name: "receipt.png", dataBase64: PNG }]));

    const text = await fireEvent.paste(box, { clipboardData: { items: [{ kind: "string", getAsFile: () => null }], files: [] } });
    expect(text).toBe(true);
    expect(ipc.calls.sendAttachment).toHaveLength(1);
  });

  it("refuses a file over 25 MB with a clear message, without reading or sending it", async () => {
    const ipc = scenario();
    setup(ipc);
    const box = await screen.findByLabelText<HTMLTextAreaElement>("Reply");
    const huge = { name: "backup.zip", size: 30 * 1024 * 1024, type: "application/zip" };
    await fireEvent.paste(box, { clipboardData: { items: [], files: [huge] } });
    await vi.waitFor(() => expect(composerError()).toBe("backup.zip is 30.0 MB; Parley sends files up to 25 MB."));
    expect(ipc.calls.sendAttachment).toEqual([]);
  });

  it("shows 'Drop to send' while files are dragged over the conversation and sends what is dropped", async () => {
    const ipc = scenario();
    setup(ipc);
    await screen.findByLabelText("Reply");
    const pane = document.querySelector<HTMLElement>("section.conversation")!;
    const file = new File([pngBytes()], "photo.png", { type: "image/png" });
    const dt = { types: ["Files"], items: [{ kind: "file", getAsFile: () => file }], files: [file], dropEffect: "none" };
    await fireEvent.dragEnter(pane, { dataTransfer: dt });
    expect(screen.getByText("Drop to send")).toBeTruthy();
    await fireEvent.dragOver(log(), { dataTransfer: dt });
    expect(dt.dropEffect).toBe("copy");
    await fireEvent.dragLeave(pane, { dataTransfer: dt });
    expect(screen.queryByText("Drop to send")).toBeNull();

    await fireEvent.dragEnter(pane, { dataTransfer: dt });
    await fireEvent.drop(pane, { dataTransfer: dt });
    expect(screen.queryByText("Drop to send")).toBeNull();
    await vi.waitFor(() => expect(ipc.calls.sendAttachment).toEqual([{ conversationId: "g:1", name: "photo.png", dataBase64: PNG }]));
    // The echo of the uploaded image renders, with its preview from the uploaded bytes.
    const thumb = await vi.waitFor(() => {
      const img = log().querySelector<HTMLImageElement>("img.thumb");
      if (!img) throw new Error("no thumbnail yet");
      return img;
    });
    expect(thumb.getAttribute("src")).toBe(`data:image/png;base64,${PNG}`);
  });

  it("ignores drags of text or links (no overlay)", async () => {
    setup();
    await screen.findByLabelText("Reply");
    const pane = document.querySelector<HTMLElement>("section.conversation")!;
    await fireEvent.dragEnter(pane, { dataTransfer: { types: ["text/plain"], items: [], files: [] } });
    expect(screen.queryByText("Drop to send")).toBeNull();
  });
});

describe("upload progress", () => {
  it("lists each upload with a progress bar, removes it when done, keeps a failed one with its error until dismissed", async () => {
    const { ipc } = setup();
    await screen.findByLabelText("Reply");
    const p = { accountId: "acc-1", conversationId: "g:1", name: "big.mov", sent: 0, total: 4000, done: false, error: null };
    ipc.emitUpload({ ...p, uploadId: "u1" });
    ipc.emitUpload({ ...p, uploadId: "u2", name: "notes.txt", total: 10 });
    ipc.emitUpload({ ...p, uploadId: "u3", conversationId: "g:2", name: "elsewhere.txt" });
    ipc.emitUpload({ ...p, uploadId: "u1", sent: 1000 });
    const list = await vi.waitFor(() => {
      const el = document.querySelector<HTMLElement>(".uploads");
      if (!el) throw new Error("no list");
      return el;
    });
    await vi.waitFor(() => expect(list.querySelector("[data-upload-id='u1'] progress")?.getAttribute("value")).toBe("1000"));
    const u1 = list.querySelector<HTMLElement>("[data-upload-id='u1']")!;
    expect(u1.textContent).toContain("big.mov");
    expect(u1.textContent).toContain("25%");
    expect(list.querySelectorAll("[data-upload-id]")).toHaveLength(2);

    ipc.emitUpload({ ...p, uploadId: "u1", sent: 4000, done: true });
    ipc.emitUpload({ ...p, uploadId: "u2", name: "notes.txt", total: 10, done: true, error: "Server unreachable." });
    await vi.waitFor(() => expect(document.querySelector("[data-upload-id='u1']")).toBeNull());
    const failed = document.querySelector<HTMLElement>("[data-upload-id='u2']")!;
    expect(within(failed).getByRole("alert").textContent).toContain("Server unreachable.");
    expect(failed.querySelector("progress")).toBeNull();
    await fireEvent.click(within(failed).getByRole("button", { name: "Dismiss notes.txt" }));
    expect(document.querySelector(".uploads")).toBeNull();
  });

  it("a failed upload reports in the list and in the composer", async () => {
    const ipc = scenario({ uploadError: "Upload rejected by the server." });
    setup(ipc);
    const box = await screen.findByLabelText("Reply");
    const file = new File(["hello"], "hello.txt", { type: "text/plain" });
    await fireEvent.paste(box, { clipboardData: { items: [], files: [file] } });
    await vi.waitFor(() => expect(composerError()).toBe("Upload rejected by the server."));
    expect(document.querySelector("[data-upload-id] [role='alert']")?.textContent).toContain("Upload rejected by the server.");
  });
});

describe("attachments in the timeline", () => {
  it("shows a fixed-size placeholder while the preview loads, then the thumbnail from the shell", async () => {
    const ipc = withAttachments([{ key: "i1", name: "photo.png", type: "image/png", blobKey: "k1" }]);
    let answer: (r: Result<string>) => void = () => {};
    ipc.attachmentPreview = (_a, blobKey) => {
      ipc.calls.attachmentPreview.push(blobKey);
      return new Promise((r) => (answer = r));
    };
    setup(ipc);
    const placeholder = await screen.findByRole("img", { name: "Loading photo.png" });
    expect(placeholder.classList.contains("thumb-placeholder")).toBe(true);
    answer({ status: "ok", data: "data:image/png;base64,AAAA" });
    const img = await screen.findByAltText<HTMLImageElement>("photo.png");
    expect(img.classList.contains("thumb")).toBe(true);
    expect(img.getAttribute("src")).toBe("data:image/png;base64,AAAA");
    expect(screen.queryByRole("img", { name: "Loading photo.png" })).toBeNull();
    expect(ipc.calls.attachmentPreview).toEqual(["k1"]);
  });

  it("fetches one preview per blob however many messages show it", async () => {
    const ipc = withAttachments(
      [
        { key: "i1", name: "a.png", type: "image/png", blobKey: "same" },
        { key: "i2", name: "a.png", type: "image/png", blobKey: "same" },
      ],
      { previews: { same: "data:image/png;base64,AAAA" } },
    );
    setup(ipc);
    await vi.waitFor(() => expect(log().querySelectorAll("img.thumb")).toHaveLength(2));
    expect(ipc.calls.attachmentPreview).toEqual(["same"]);
  });

  it("falls back to the file row when the image cannot be previewed", async () => {
    const ipc = withAttachments([{ key: "i1", name: "scan.tiff", size: 4096, type: "image/tiff", blobKey: "k2" }]);
    setup(ipc);
    const row = await vi.waitFor(() => {
      const b = log().querySelector<HTMLButtonElement>("button.file");
      if (!b) throw new Error("no file row");
      return b;
    });
    expect(row.textContent).toContain("scan.tiff");
    expect(row.textContent).toContain("4.0 KB");
    expect(log().querySelector("img.thumb")).toBeNull();
  });

  it("opens a thumbnail in a lightbox that saves and opens the file, closes on Escape and gives focus back", async () => {
    const ipc = withAttachments([{ key: "i1", name: "photo.png", type: "image/png", blobKey: "k1" }], {
      previews: { k1: "data:image/png;base64,AAAA" },
    });
    setup(ipc);
    const thumb = await screen.findByRole("button", { name: "View photo.png" });
    thumb.focus();
    await fireEvent.click(thumb);
    const dialog = document.querySelector<HTMLDialogElement>("dialog#lightbox")!;
    expect(dialog.open).toBe(true);
    expect(within(dialog).getByText("photo.png")).toBeTruthy();
    expect(within(dialog).getByAltText("photo.png").getAttribute("src")).toBe("data:image/png;base64,AAAA");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Open" }));
    expect(await within(dialog).findByText("Saved to /home/agent/Downloads/photo.png")).toBeTruthy();
    expect(ipc.calls.openAttachment).toEqual([{ blobKey: "k1", name: "photo.png" }]);

    await fireEvent.keyDown(dialog, { key: "Escape" });
    await vi.waitFor(() => expect(document.querySelector("dialog#lightbox")).toBeNull());
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "View photo.png" }));

    await fireEvent.click(screen.getByRole("button", { name: "View photo.png" }));
    await fireEvent.click(within(document.querySelector<HTMLElement>("dialog#lightbox")!).getByRole("button", { name: "Close" }));
    await vi.waitFor(() => expect(document.querySelector("dialog#lightbox")).toBeNull());
  });

  it("a file opens through the shell and says where it was saved, or why not", async () => {
    const ipc = withAttachments([{ key: "f1", name: "report.pdf", size: 1_572_864, type: "application/pdf", blobKey: "k3", url: "https://cdn.example/report.pdf" }]);
    setup(ipc);
    const button = await vi.waitFor(() => {
      const b = log().querySelector<HTMLButtonElement>("button.file");
      if (!b) throw new Error("no file row");
      return b;
    });
    expect(button.textContent).toContain("1.5 MB");
    await fireEvent.click(button);
    expect(await screen.findByText("Saved to /home/agent/Downloads/report.pdf")).toBeTruthy();
    expect(ipc.calls.openAttachment).toEqual([{ blobKey: "k3", name: "report.pdf" }]);
    expect(ipc.calls.openExternal).toEqual([]);

    ipc.openAttachment = async () => ({ status: "error", error: { code: "storage", message: "Downloads is full.", field: null } });
    await fireEvent.click(button);
    expect((await screen.findByRole("alert")).textContent).toBe("Downloads is full.");
  });

  it("still renders the echo of an attachment being sent, before it has a blob", async () => {
    const { ipc } = setup();
    await screen.findByLabelText("Reply");
    const echo = message({
      key: "local-up",
      clientKey: "local-up",
      conversationId: "g:1",
      senderId: ME,
      direction: "outgoing",
      state: "queued",
      text: "",
      contentType: 1,
      createdAt: base + 300_000,
      attachment: { name: "draft.png", size: 10, contentType: "image/png", blobKey: null, url: null, thumbnailUrl: null },
    });
    ipc.emit(emptyBatch({ messages: [echo] }));
    const row = await vi.waitFor(() => {
      const el = log().querySelector<HTMLElement>('[data-key="local-up"]');
      if (!el) throw new Error("no echo");
      return el;
    });
    expect(row.textContent).toContain("draft.png");
    expect(row.querySelector(".ticks")?.textContent).toContain("Queued");
  });
});
