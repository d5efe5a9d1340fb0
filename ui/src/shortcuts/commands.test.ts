import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fireEvent } from "@testing-library/svelte";
import { commands } from "./commands.svelte";

let ran: string[] = [];
const cmd = (id: string, enabled = () => true) => ({
  id,
  section: "conversation" as const,
  label: () => id,
  enabled,
  run: () => void ran.push(id),
});

beforeEach(() => {
  ran = [];
  commands.mac = false;
  commands.reset();
  window.addEventListener("keydown", commands.handleKey);
});
afterEach(() => {
  window.removeEventListener("keydown", commands.handleKey);
  commands.reset();
  document.body.innerHTML = "";
});

describe("shortcut dispatch", () => {
  it("runs the registered action for its keys, and nothing once it is unregistered", async () => {
    const off = commands.register(cmd("resolve"), cmd("palette"));
    await fireEvent.keyDown(document.body, { key: "e" });
    await fireEvent.keyDown(document.body, { key: "k", code: "KeyK", ctrlKey: true });
    expect(ran).toEqual(["resolve", "palette"]);
    off();
    await fireEvent.keyDown(document.body, { key: "e" });
    expect(ran).toEqual(["resolve", "palette"]);
  });

  it("never fires a plain-key shortcut while typing in a text field; Ctrl+K still opens the palette", async () => {
    commands.register(cmd("resolve"), cmd("palette"), cmd("nextConversation"));
    for (const tag of ["input", "textarea"]) {
      const field = document.createElement(tag);
      document.body.append(field);
      await fireEvent.keyDown(field, { key: "e" });
      await fireEvent.keyDown(field, { key: "j" });
      await fireEvent.keyDown(field, { key: "k", code: "KeyK", ctrlKey: true });
    }
    const editable = document.createElement("div");
    editable.setAttribute("contenteditable", "true");
    document.body.append(editable);
    await fireEvent.keyDown(editable, { key: "e" });
    // A checkbox takes no typing: shortcuts work there.
    const box = document.createElement("input");
    box.type = "checkbox";
    document.body.append(box);
    await fireEvent.keyDown(box, { key: "e" });
    expect(ran).toEqual(["palette", "palette", "resolve"]);
  });

  it("stays out of dialogs, skips disabled actions and ignores held keys except for moving", async () => {
    let closed = false;
    commands.register(cmd("resolve", () => !closed), cmd("nextConversation"));
    const dialog = document.createElement("dialog");
    const inside = document.createElement("button");
    dialog.append(inside);
    document.body.append(dialog);
    await fireEvent.keyDown(inside, { key: "e" });
    expect(ran).toEqual([]);
    await fireEvent.keyDown(document.body, { key: "e", repeat: true });
    await fireEvent.keyDown(document.body, { key: "j", repeat: true });
    closed = true;
    await fireEvent.keyDown(document.body, { key: "e" });
    expect(ran).toEqual(["nextConversation"]);
    expect(commands.run("resolve")).toBe(false);
  });

  it("lets the newest registration of an action win and follows a changed keymap", async () => {
    const first = { ...cmd("resolve"), run: () => void ran.push("first") };
    commands.register(first);
    const offSecond = commands.register({ ...cmd("resolve"), run: () => void ran.push("second") });
    await fireEvent.keyDown(document.body, { key: "e" });
    offSecond();
    commands.setShortcuts({ resolve: "Shift+D" });
    await fireEvent.keyDown(document.body, { key: "e" });
    await fireEvent.keyDown(document.body, { key: "D", shiftKey: true });
    expect(ran).toEqual(["second", "first"]);
    expect(commands.shortcutOf("resolve")).toBe("Shift+D");
    expect(commands.available().map((c) => c.id)).toEqual(["resolve"]);
  });

  it("does not run what a component already handled", async () => {
    commands.register(cmd("resolve"));
    const el = document.createElement("div");
    document.body.append(el);
    el.addEventListener("keydown", (e) => e.preventDefault());
    await fireEvent.keyDown(el, { key: "e" });
    expect(ran).toEqual([]);
  });
});
