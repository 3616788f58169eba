/** Stops testcontainers if global-setup started them; the local stack is left running for re-runs. */
export default async function globalTeardown(): Promise<void> {
  const containers = (globalThis as { __containers?: Array<{ stop(): Promise<unknown> }> }).__containers ?? [];
  await Promise.all(containers.map((c) => c.stop()));
}
