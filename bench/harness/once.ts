/** Wraps an async stop so that calling it again (a deferred cleanup after an early stop) does nothing. */
export function once(stop: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= stop());
}
