// The Chrome DevTools protocol over workerd's inspector (Miniflare's `inspectorPort`), for the
// CPU profiles (cpu-profile.mjs, login-profile.mjs) and the allocation sampler (allocations.mjs).
import { prepare, startWorker } from "./harness.mjs";

/** One Chrome DevTools protocol session over the inspector's WebSocket. */
async function connectInspector(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((entry) => entry.webSocketDebuggerUrl);
  if (!target) throw new Error(`no inspectable worker on port ${port}: ${JSON.stringify(targets)}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let nextId = 1;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.error) waiting.reject(new Error(`${JSON.stringify(message.error)}`));
    else waiting.resolve(message.result);
  });
  return {
    send(method, params = {}) {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close: () => socket.close(),
  };
}

/**
 * The bench worker started with its inspector open on `port` (built and migrated first unless
 * `skipPrepare`), and a protocol session on it. Call `server.dispose()` when done.
 */
export async function startInspectedWorker(port, { skipPrepare = false } = {}) {
  if (!skipPrepare) prepare();
  const server = await startWorker({ inspectorPort: port });
  try {
    return { server, inspector: await connectInspector(port) };
  } catch (error) {
    await server.dispose();
    throw error;
  }
}
