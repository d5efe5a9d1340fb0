import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import RemoteImage from "./RemoteImage.svelte";
import { createMockIpc } from "./ipc/mock";

const PNG = "data:image/png;base64,iVBORw0KGgo=";

describe("RemoteImage", () => {
  it("shows where a web image is from and loads it only after a click", async () => {
    const ipc = createMockIpc({ previews: { "https://cdn.example/card.png": PNG } });
    render(RemoteImage, { url: "https://cdn.example/card.png", ipc, alt: "Card" });
    expect(document.querySelector("img")).toBeNull();
    expect(ipc.calls.people).toEqual([]);
    await fireEvent.click(screen.getByRole("button", { name: "Show image from cdn.example" }));
    const img = await screen.findByAltText("Card");
    expect(img.getAttribute("src")).toBe(PNG);
    expect(ipc.calls.people).toEqual([["remoteImage", "https://cdn.example/card.png"]]);
  });

  it("says why an image could not be loaded and keeps the button", async () => {
    const ipc = createMockIpc();
    render(RemoteImage, { url: "https://tracker.example/pixel.gif", ipc });
    await fireEvent.click(screen.getByRole("button"));
    expect((await screen.findByRole("alert")).textContent).toBe("The image could not be loaded.");
    expect(document.querySelector("img")).toBeNull();
  });
});
