// A small W3C WebDriver client over fetch, enough to drive Parley through tauri-driver.
// (WebKitWebDriver speaks classic WebDriver only; no BiDi.)
import { readdirSync, readlinkSync, realpathSync } from "node:fs";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

const REPAINT_NUDGE = `
  const d = document.createElement("div");
  Object.assign(d.style, { position: "fixed", left: "0", top: "0", width: "1px", height: "1px", pointerEvents: "none", zIndex: "2147483647" });
  document.documentElement.appendChild(d);
  let n = 0;
  const flip = () => {
    d.style.background = n % 2 ? "transparent" : "rgba(0, 0, 0, 0.01)";
    if (++n < 40) setTimeout(flip, 50);
    else d.remove();
  };
  flip();
`;

export class Session {
  static async start({ url = process.env.WEBDRIVER_URL, app = process.env.PARLEY_APP } = {}) {
    if (!url || !app) throw new Error("WEBDRIVER_URL and PARLEY_APP must be set (cargo xtask test does)");
    // Parley is single-instance: a window left over by an earlier test (its driver stuck on a
    // command, so ending the session did not stop it) would make this launch exit at once.
    await stopLeftoverApps(app);
    const res = await call(url, "POST", "/session", {
      capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application: app } } },
    });
    return new Session(url, res.sessionId, app);
  }

  constructor(url, id, app = process.env.PARLEY_APP) {
    this.base = `${url}/session/${id}`;
    this.app = app;
  }

  cmd(method, path, body) {
    return call(this.base, method, path, body);
  }

  title() {
    return this.cmd("GET", "/title");
  }

  windowRect() {
    return this.cmd("GET", "/window/rect");
  }

  async find(css, { timeout = 10_000 } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      try {
        const el = await this.cmd("POST", "/element", { using: "css selector", value: css });
        return new Element(this, el[ELEMENT]);
      } catch (e) {
        last = e;
        await sleep(100);
      }
    }
    throw new Error(`no element matches ${css} after ${timeout} ms: ${last?.message}`);
  }

  /** Wait until `css` exists and its text content satisfies `pred`. */
  async waitText(css, pred, { timeout = 10_000 } = {}) {
    const deadline = Date.now() + timeout;
    let text = null;
    while (Date.now() < deadline) {
      text = await this.execute(
        "const el = document.querySelector(arguments[0]); return el ? el.textContent.replace(/\\s+/g, ' ').trim() : null;",
        [css],
      ).catch(() => null);
      if (text !== null && pred(text)) return text;
      await sleep(100);
    }
    throw new Error(`${css} never matched; last text: ${JSON.stringify(text)}`);
  }

  execute(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /**
   * WebKitGTK answers a screenshot after the page's next repaint, and an idle screen (nothing
   * animating, no caret blinking) never repaints: the command would hang. So a 1-pixel,
   * nearly transparent element flickers for two seconds around it.
   */
  async screenshotPng() {
    await this.execute(REPAINT_NUDGE).catch(() => {});
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  /** End the session; the app is stopped even when the driver no longer answers. */
  async quit() {
    try {
      await call(this.base, "DELETE", "", undefined, 20_000);
    } finally {
      await stopLeftoverApps(this.app);
    }
  }
}

export class Element {
  constructor(session, id) {
    this.s = session;
    this.id = id;
  }
  click() {
    return this.s.cmd("POST", `/element/${this.id}/click`, {});
  }
  type(text) {
    return this.s.cmd("POST", `/element/${this.id}/value`, { text });
  }
  text() {
    return this.s.cmd("GET", `/element/${this.id}/text`);
  }
  attr(name) {
    return this.s.cmd("GET", `/element/${this.id}/attribute/${name}`);
  }
}

async function call(base, method, path, body, timeoutMs = 60_000) {
  const res = await fetch(base + path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    // A stuck driver fails the test in a minute instead of hanging the run.
    signal: AbortSignal.timeout(timeoutMs),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok || json?.value?.error) {
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json?.value ?? json)}`);
  }
  return json.value;
}

/** The pids of running processes whose executable is `app`. */
function appPids(app) {
  let exe;
  try {
    exe = realpathSync(app);
  } catch {
    return [];
  }
  const pids = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      // A binary rebuilt while running reads as "<path> (deleted)".
      if (readlinkSync(`/proc/${name}/exe`).replace(/ \(deleted\)$/, "") === exe) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** SIGKILL every running Parley of this build and wait (≤5 s) until they are gone. */
export async function stopLeftoverApps(app = process.env.PARLEY_APP) {
  if (!app || process.platform !== "linux") return;
  let pids = appPids(app);
  if (pids.length === 0) return;
  console.error(`webdriver.mjs: stopping leftover Parley process(es) ${pids.join(", ")}`);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 5_000;
  while ((pids = appPids(app)).length > 0 && Date.now() < deadline) await sleep(50);
  if (pids.length > 0) throw new Error(`Parley process(es) ${pids.join(", ")} survived SIGKILL`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
