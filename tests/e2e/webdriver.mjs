// A small W3C WebDriver client over fetch, enough to drive Parley through tauri-driver.
// (WebKitWebDriver speaks classic WebDriver only; no BiDi.)
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
    const res = await call(url, "POST", "/session", {
      capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application: app } } },
    });
    return new Session(url, res.sessionId);
  }

  constructor(url, id) {
    this.base = `${url}/session/${id}`;
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

  quit() {
    return this.cmd("DELETE", "");
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

async function call(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    // A stuck driver fails the test in a minute instead of hanging the run.
    signal: AbortSignal.timeout(60_000),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok || json?.value?.error) {
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json?.value ?? json)}`);
  }
  return json.value;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
