import { commands } from "./bindings";
import { toAppError, type Ipc, type Result } from "./ipc";

function normalize<T>(r: { status: "ok"; data: T } | { status: "error"; error: unknown }): Result<T> {
  return r.status === "ok" ? r : { status: "error", error: toAppError(r.error) };
}

export const tauriIpc: Ipc = {
  appInfo: () => commands.appInfo(),
  checkSignIn: async (form) => {
    try {
      return normalize(await commands.checkSignIn(form));
    } catch (e) {
      return { status: "error", error: toAppError(e) };
    }
  },
  uiReady: () => commands.uiReady(),
};
