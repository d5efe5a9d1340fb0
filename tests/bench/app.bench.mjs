// App benchmarks in the real window (run by `cargo xtask bench`; a short smoke run by the
// test command). Prints one JSON line per metric on stdout: {name, value, unit, samples}.
//
// - launch_to_inbox_ms: the app launched with an account signed in (secrets in the real
//   keyring, the cache filled by a first sync) until the cached inbox is painted: wall time
//   from spawn to the ready file the app writes after the inbox's first frame.
// - message_to_notify_ms: a customer sends a message through the sandbox (REST) until the
//   app's D-Bus Notify call for it is seen on the bus.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Session, sleep } from "../e2e/webdriver.mjs";
import * as sb from "../e2e/sandbox.mjs";
import { eventually, signIn } from "../e2e/app.mjs";

const smoke = process.env.BENCH_SMOKE === "1";
const launches = smoke ? 2 : 5;
const messages = smoke ? 10 : 200;
const scratch = process.env.E2E_ARTIFACTS ?? "/tmp";
mkdirSync(scratch, { recursive: true });

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const report = (name, unit, samples) =>
  console.log(
    JSON.stringify({
      name,
      unit,
      samples: samples.length,
      p50: pct(samples, 50),
      p95: pct(samples, 95),
      min: Math.min(...samples),
      max: Math.max(...samples),
    }),
  );

/** Start the app directly (not through WebDriver); resolves when it has painted. */
async function launch() {
  const ready = join(scratch, `ready-${Date.now()}`);
  const started = performance.now();
  const child = spawn(process.env.PARLEY_APP, [], {
    env: { ...process.env, PARLEY_READY_FILE: ready },
    stdio: "ignore",
  });
  await eventually("the app's first paint", () => existsSync(ready) && readFileSync(ready, "utf8").length > 0, {
    timeout: 60_000,
    every: 2,
  });
  const wall = performance.now() - started;
  rmSync(ready, { force: true });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", resolve);
      child.kill("SIGTERM");
    });
  return { wall, stop };
}

// 1. Sign in once through the window, with the real keyring, so later launches resume.
const agent = sb.ready.agents[0];
{
  const s = await Session.start();
  await signIn(s, sb.ready, agent);
  await sleep(3_000); // the first sync fills the cache
  await s.quit();
  await sleep(500);
}

// 2. Launch → cached inbox painted.
const launchTimes = [];
for (let i = 0; i < launches + 1; i++) {
  const app = await launch();
  if (i > 0) launchTimes.push(app.wall); // the first launch warms the page cache
  await sleep(500);
  await app.stop();
  await sleep(300);
}
report("launch_to_inbox_ms", "ms", launchTimes);

// 3. Customer message → D-Bus Notify.
const monitor = spawn(
  "dbus-monitor",
  ["type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
  { stdio: ["ignore", "pipe", "ignore"] },
);
const seen = new Map(); // marker → time the Notify call was seen
createInterface({ input: monitor.stdout }).on("line", (line) => {
  const m = line.match(/bench #(\d+)/);
  if (m && !seen.has(m[1])) seen.set(m[1], performance.now());
});
const app = await launch();
try {
  const customers = sb.ready.customers.slice(0, 4);
  const convs = [];
  for (const c of customers) {
    const token = await sb.tokenFor(c);
    convs.push({ token, group: await sb.startConversation(token, `Bench ${c.userId}`, agent.userId) });
  }
  // Warm up: the app is online and has these conversations.
  for (const [i, c] of convs.entries()) await sb.send(c.token, c.group, `bench #${9000 + i}`);
  await eventually("the app online and notifying", () => seen.has("9000"), { timeout: 30_000 });
  await sleep(1_000);
  const latencies = [];
  for (let i = 0; i < messages; i++) {
    const c = convs[i % convs.length];
    const t0 = performance.now();
    await sb.send(c.token, c.group, `bench #${i}`);
    const at = await eventually(`the notification for message ${i}`, () => seen.get(String(i)), {
      timeout: 10_000,
      every: 1,
    });
    latencies.push(at - t0);
    await sleep(50);
  }
  report("message_to_notify_ms", "ms", latencies);
} finally {
  await app.stop();
  monitor.kill();
}
