import { mount } from "svelte";
import "./styles/app.css";
import App from "./App.svelte";
import { tauriIpc } from "./lib/ipc/tauri";

const target = document.getElementById("app");
if (!target) throw new Error("#app missing from index.html");

mount(App, { target, props: { ipc: tauriIpc } });
