// The app shell: one instance only, and the window remembers its size between launches.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Session, sleep } from "./webdriver.mjs";

test("test_second_launch_exits_and_leaves_first_window_running", async () => {
  const s = await Session.start();
  try {
    await s.find("#signin-title");
    const second = spawn(process.env.PARLEY_APP, [], { stdio: "ignore" });
    const code = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        second.kill("SIGKILL");
        reject(new Error("the second instance was still running after 15 s"));
      }, 15_000);
      second.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0);
    // The first window still answers.
    assert.equal(await s.title(), "Parley");
  } finally {
    await s.quit().catch(() => {});
  }
});

test("test_window_size_is_remembered_across_launches", async () => {
  const first = await Session.start();
  await first.find("#signin-title");
  // Under Xvfb (no window manager) a resize request occasionally goes unanswered: retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const ok = await Promise.race([
      first.cmd("POST", "/window/rect", { width: 1000, height: 700 }).then(() => true, () => false),
      sleep(15_000).then(() => false),
    ]);
    if (ok) break;
  }
  // Parley saves the window state once the window has been still for 400 ms, so the size
  // survives however the app ends (here the driver closes it).
  await sleep(1200);
  const resized = await first.windowRect();
  assert.equal(resized.width, 1000);
  // Ending the session ends the app (the driver stops it): no clean exit needed.
  await first.quit().catch(() => {});
  await sleep(500);

  const second = await Session.start();
  try {
    await second.find("#signin-title");
    const rect = await second.windowRect();
    assert.equal(rect.width, 1000);
    assert.equal(rect.height, 700);
  } finally {
    await second.quit().catch(() => {});
    // Later tests start from the default size: forget the remembered one (a resize request
    // can go unanswered under Xvfb, so the file is removed rather than the window resized).
    forgetWindowState();
  }
});

function forgetWindowState() {
  const dir = join(process.env.XDG_CONFIG_HOME ?? "", "io.parley.desktop");
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.includes("window-state"))) rmSync(join(dir, name), { force: true });
}
