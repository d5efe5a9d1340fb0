import { describe, expect, it } from "vitest";
import type { Contact } from "../lib/ipc/ipc";
import { attributes, buildUpdate, formOf, newRow, presenceText, rowProblems } from "./profile";

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const MIN = 60_000;

function contact(over: Partial<Contact> = {}): Contact {
  return {
    userId: "u1",
    displayName: "Una",
    email: "una@example.com",
    phone: null,
    imageUrl: null,
    metadata: { plan: "Pro" },
    online: false,
    lastSeenAt: null,
    roleType: 3,
    ...over,
  };
}

describe("presence text", () => {
  it("says online, just now, minutes, hours, yesterday, days, then a date, and offline when never seen", () => {
    const at = (ago: number) => presenceText({ online: false, lastSeenAt: NOW - ago }, NOW);
    expect(presenceText({ online: true, lastSeenAt: NOW - 3 * MIN }, NOW)).toBe("Online");
    expect(at(20_000)).toBe("Last seen just now");
    expect(at(5 * MIN)).toBe("Last seen 5 min ago");
    expect(at(60 * MIN)).toBe("Last seen 1 hour ago");
    expect(at(5 * 60 * MIN)).toBe("Last seen 5 hours ago");
    expect(at(26 * 60 * MIN)).toBe("Last seen yesterday");
    expect(at(3 * 24 * 60 * MIN)).toBe("Last seen 3 days ago");
    expect(at(40 * 24 * 60 * MIN)).toMatch(/^Last seen (6 May|May 6)$/);
    expect(presenceText({ online: false, lastSeenAt: null }, NOW)).toBe("Offline");
  });
});

describe("the profile update", () => {
  it("is null when nothing changed, even with spaces around the values", () => {
    const c = contact();
    const f = formOf(c);
    f.displayName = " Una ";
    expect(buildUpdate(c, f)).toBeNull();
  });

  it("sends a cleared field as empty and leaves the others out", () => {
    const c = contact();
    const f = formOf(c);
    f.email = "";
    f.phone = "+33 1 23 45 67 89";
    expect(buildUpdate(c, f)).toEqual({ displayName: null, email: "", phone: "+33 1 23 45 67 89", imageUrl: null, metadata: {} });
  });

  it("renames an attribute as the new name set and the old one emptied", () => {
    const c = contact();
    const f = formOf(c);
    f.rows[0]!.key = "tier";
    expect(buildUpdate(c, f)?.metadata).toEqual({ tier: "Pro", plan: "" });
  });

  it("hides emptied attributes and flags unnamed or repeated ones", () => {
    expect(attributes({ b: "2", a: "1", gone: "", blank: "  " })).toEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
    const rows = [newRow("plan", "x"), newRow("", "orphan"), newRow("plan", "y"), newRow("", "")];
    const p = rowProblems(rows);
    expect(Object.keys(p).map(Number)).toEqual([rows[1]!.id, rows[2]!.id]);
  });
});
