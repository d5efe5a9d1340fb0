// Reading dropped or pasted files for `sendAttachment`: size checks before any work, and
// base64 without building one huge argument list (String.fromCharCode over 25 MB would
// blow the stack).
import type { UploadProgress } from "../lib/ipc/ipc";
import { t } from "../lib/i18n";

/** The shell's limit (parley_core::files::MAX_UPLOAD). */
export const MAX_UPLOAD = 25 * 1024 * 1024;

/** Why `file` cannot be sent, in the words the shell uses; null when it can. */
export function uploadProblem(file: { name: string; size: number }): string | null {
  if (file.size === 0) return t("attachments.empty", { name: file.name });
  if (file.size > MAX_UPLOAD) {
    return t("attachments.tooBig", { name: file.name, size: (file.size / 1_048_576).toFixed(1), max: MAX_UPLOAD / 1_048_576 });
  }
  return null;
}

const CHUNK = 0x8000;

/** Base64 of `bytes`, converted in chunks. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

async function readBytes(file: Blob): Promise<Uint8Array> {
  if (typeof file.arrayBuffer === "function") return new Uint8Array(await file.arrayBuffer());
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error(t("attachments.unreadable")));
    reader.readAsArrayBuffer(file);
  });
}

export async function fileToBase64(file: Blob): Promise<string> {
  return bytesToBase64(await readBytes(file));
}

/** A name for a pasted image that came without one ("image.png" from most clipboards). */
export function nameFor(file: File, index: number): string {
  if (file.name && file.name !== "image.png") return file.name;
  const ext = file.type.startsWith("image/") ? file.type.slice(6).replace("jpeg", "jpg").replace(/\+.*$/, "") : "bin";
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return `pasted-${stamp}${index ? `-${index + 1}` : ""}.${ext || "png"}`;
}

/** The files a drop or paste carries (items first: some clipboards leave `files` empty). */
export function filesOf(dt: DataTransfer | null): File[] {
  if (!dt) return [];
  const out: File[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== "file") continue;
    const f = item.getAsFile();
    if (f) out.push(f);
  }
  if (out.length) return out;
  return Array.from(dt.files ?? []);
}

/** Whether a drag carries files (not text or a link). */
export function dragHasFiles(dt: DataTransfer | null): boolean {
  return !!dt && Array.from(dt.types ?? []).includes("Files");
}

/** Fold one progress event into the list: finished uploads leave, failed ones stay. */
export function applyProgress(list: UploadProgress[], p: UploadProgress): UploadProgress[] {
  const i = list.findIndex((u) => u.uploadId === p.uploadId);
  if (p.done && !p.error) return i < 0 ? list : list.filter((u) => u.uploadId !== p.uploadId);
  if (i < 0) return [...list, p];
  const next = [...list];
  next[i] = p;
  return next;
}
