// The one IPC interface every capability talks to. `tauri.ts` implements it over Tauri's
// invoke; `mock.ts` implements it in memory for fast UI tests. Types come from the generated
// `bindings.ts` (never hand-written copies).
import type { AppError, AppInfo, SignInForm, SignInPlan } from "./bindings";

export type { AppError, AppInfo, SignInForm, SignInPlan } from "./bindings";
export type Result<T> = { status: "ok"; data: T } | { status: "error"; error: AppError };

export interface Ipc {
  appInfo(): Promise<AppInfo>;
  checkSignIn(form: SignInForm): Promise<Result<SignInPlan>>;
  /** Tell the shell the first screen is painted; resolves to ms since launch. */
  uiReady(): Promise<number>;
}

/** Any rejection that is not already `{code, message}` (e.g. Tauri's own string errors). */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as AppError;
  const message = e instanceof Error ? e.message : String(e);
  return { code: "internal", message, field: null };
}
