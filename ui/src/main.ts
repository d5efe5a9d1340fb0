import { mount } from "svelte";
import "./styles/app.css";
import App from "./App.svelte";
import { tauriIpc } from "./lib/ipc/tauri";
import type { Ipc } from "./lib/ipc/ipc";
import { startupMark } from "./lib/startup";

// After every imported module has run (imports are evaluated first).
startupMark("modules evaluated");

const target = document.getElementById("app");
if (!target) throw new Error("#app missing from index.html");

async function pickIpc(): Promise<Ipc> {
  // `npm run dev` in a plain browser: a demo backend (dropped from production builds).
  if (import.meta.env.DEV && !("__TAURI_INTERNALS__" in window)) {
    const { demoIpc } = await import("./dev/demo");
    return demoIpc();
  }
  return tauriIpc;
}

void pickIpc().then((ipc) => {
  startupMark("app mounts");
  mount(App, { target, props: { ipc } });
  startupMark("app mounted");
});
