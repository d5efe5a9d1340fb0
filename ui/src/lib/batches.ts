// One listener on the shell's batch event, fanned out to the components of the open account.
import type { UiBatch } from "./ipc/ipc";

export type BatchListener = (batch: UiBatch) => void;

export class BatchHub {
  #listeners = new Set<BatchListener>();
  subscribe(cb: BatchListener): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }
  emit(batch: UiBatch): void {
    for (const l of [...this.#listeners]) l(batch);
  }
}
