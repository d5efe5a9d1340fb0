import { beforeEach, describe, expect, it } from "vitest";
import { MAX_UPLOAD, applyProgress, bytesToBase64, dragHasFiles, fileToBase64, filesOf, nameFor, uploadProblem } from "./files";
import { clearPreviews, preview } from "./previews";
import { createMockIpc } from "../lib/ipc/mock";
import type { UploadProgress } from "../lib/ipc/ipc";

const progress = (over: Partial<UploadProgress>): UploadProgress => ({
  accountId: "acc-1",
  conversationId: "g:1",
  uploadId: "u1",
  name: "a.png",
  sent: 0,
  total: 100,
  done: false,
  error: null,
  ...over,
});

describe("reading files for upload", () => {
  it("encodes base64 in chunks, that decode to the same bytes, even for megabytes", () => {
    const small = new Uint8Array([0, 1, 2, 250, 255]);
    expect(bytesToBase64(small)).toBe("AAEC+v8=");
    const big = new Uint8Array(3 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const round = Uint8Array.from(atob(bytesToBase64(big)), (c) => c.charCodeAt(0));
    expect(round.length).toBe(big.length);
    expect(round.every((b, i) => b === big[i])).toBe(true);
  });

  it("reads a File's bytes as base64", async () => {
    const file = new File([new Uint8Array([137, 80, 78, 71])], "x.png", { type: "image/png" });
    expect(await fileToBase64(file)).toBe("iVBORw==");
  });

  it("refuses empty files and files over 25 MB with the shell's wording, before reading them", () => {
    expect(uploadProblem({ name: "ok.pdf", size: 10 })).toBeNull();
    expect(uploadProblem({ name: "edge.bin", size: MAX_UPLOAD })).toBeNull();
    expect(uploadProblem({ name: "empty.txt", size: 0 })).toBe("empty.txt is empty.");
    expect(uploadProblem({ name: "big.zip", size: 30 * 1024 * 1024 })).toBe("big.zip is 30.0 MB; Parley sends files up to 25 MB.");
  });

  it("takes files from a drop or paste, from items or from files, and ignores text", () => {
    const f = new File(["x"], "a.txt");
    const item = (kind: string, file: File | null) => ({ kind, getAsFile: () => file });
    expect(filesOf({ items: [item("string", null), item("file", f)], files: [] } as unknown as DataTransfer)).toEqual([f]);
    expect(filesOf({ items: [], files: [f] } as unknown as DataTransfer)).toEqual([f]);
    expect(filesOf({ items: [item("string", null)], files: [] } as unknown as DataTransfer)).toEqual([]);
    expect(filesOf(null)).toEqual([]);
    expect(dragHasFiles({ types: ["text/plain", "Files"] } as unknown as DataTransfer)).toBe(true);
    expect(dragHasFiles({ types: ["text/uri-list"] } as unknown as DataTransfer)).toBe(false);
  });

  it("names a pasted clipboard image that has only the generic name", () => {
    expect(nameFor(new File(["x"], "receipt.png", { type: "image/png" }), 0)).toBe("receipt.png");
    expect(nameFor(new File(["x"], "image.png", { type: "image/png" }), 0)).toMatch(/^pasted-[\d-]+\.png$/);
    expect(nameFor(new File(["x"], "", { type: "image/jpeg" }), 1)).toMatch(/^pasted-[\d-]+-2\.jpg$/);
  });
});

describe("upload progress list", () => {
  it("adds an upload, updates it, drops it when done, keeps it when it failed", () => {
    let list = applyProgress([], progress({}));
    expect(list).toHaveLength(1);
    list = applyProgress(list, progress({ sent: 50 }));
    expect(list[0]!.sent).toBe(50);
    list = applyProgress(list, progress({ uploadId: "u2", name: "b.pdf" }));
    list = applyProgress(list, progress({ sent: 100, done: true }));
    expect(list.map((u) => u.uploadId)).toEqual(["u2"]);
    list = applyProgress(list, progress({ uploadId: "u2", done: true, error: "Server unreachable." }));
    expect(list).toEqual([expect.objectContaining({ uploadId: "u2", error: "Server unreachable." })]);
  });
});

describe("image previews", () => {
  beforeEach(() => clearPreviews());

  it("asks the shell once per image, however often it renders", async () => {
    const ipc = createMockIpc({ previews: { k1: "data:image/png;base64,AAAA" } });
    const [a, b] = await Promise.all([preview(ipc, "acc-1", "k1"), preview(ipc, "acc-1", "k1")]);
    expect(a).toEqual({ status: "ok", data: "data:image/png;base64,AAAA" });
    expect(b).toEqual(a);
    await preview(ipc, "acc-1", "k1");
    expect(ipc.calls.attachmentPreview).toEqual(["k1"]);
  });

  it("remembers a file that is not an image, but asks again after a network failure", async () => {
    const ipc = createMockIpc();
    expect((await preview(ipc, "acc-1", "doc")).status).toBe("error");
    await preview(ipc, "acc-1", "doc");
    expect(ipc.calls.attachmentPreview).toEqual(["doc"]);

    const offline = createMockIpc({ fail: { attachmentPreview: { code: "unreachable", message: "Offline.", field: null } } });
    await preview(offline, "acc-1", "img");
    await Promise.resolve();
    await preview(offline, "acc-1", "img");
    expect(offline.calls.attachmentPreview).toEqual(["img", "img"]);
  });
});
