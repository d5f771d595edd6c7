// Reading a V8 CPU profile (the Chrome DevTools protocol's Profiler.stop result): self and total
// time per function, for cpu-profile.mjs (routes under load) and login-profile.mjs (sign-in).
import path from "node:path";

/** A function as the tables name it: its name, file and line. */
function keyOf(node) {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url ? path.basename(url) : "";
  return `${functionName || "(anonymous)"} ${file}${file ? `:${lineNumber + 1}` : ""}`;
}

/** Self and total (inclusive) time per function, µs, and the busy (non-idle) total. */
export function summarize(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const inclusive = new Map();
  const totalOf = (node) => {
    if (inclusive.has(node.id)) return inclusive.get(node.id);
    let sum = selfUs.get(node.id) ?? 0;
    for (const child of node.children ?? []) sum += totalOf(byId.get(child));
    inclusive.set(node.id, sum);
    return sum;
  };
  const self = new Map();
  const total = new Map();
  // A function's total counts each call stack once even when it recurses.
  const walk = (node, onStack) => {
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + (selfUs.get(node.id) ?? 0));
    if (!onStack.has(key)) total.set(key, (total.get(key) ?? 0) + totalOf(node));
    const next = new Set(onStack).add(key);
    for (const child of node.children ?? []) walk(byId.get(child), next);
  };
  const rootNode = profile.nodes[0];
  walk(rootNode, new Set());
  const idle = ["(idle)", "(program)", "(garbage collector)"].map((name) => self.get(`${name} `) ?? 0);
  const busyUs = totalOf(rootNode) - idle[0];
  return { self, total, busyUs, programUs: idle[1], gcUs: idle[2] };
}

/** The `count` largest entries of a per-function map, one line each, scaled by `scale` into `unit`. */
export function top(map, count, scale, unit) {
  const digits = unit === "ms" ? 2 : 1;
  return [...map.entries()]
    .filter(([key]) => !key.startsWith("(root)") && !key.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, value]) => `  ${scale(value).toFixed(digits).padStart(7)} ${unit}  ${key}`);
}
