// Preloaded (--import) into a vitals under bench/heap.mjs: on the IPC message
// 'heap-report' it answers with process.memoryUsage() and V8's per-space
// figures, before and after a full GC (--expose-gc), so live objects can be
// told apart from heap the process has committed but is not using.
import v8 from 'node:v8';

const MIB = 2 ** 20;
function reading() {
  const memory = process.memoryUsage();
  const spaces = Object.fromEntries(
    v8.getHeapSpaceStatistics().map((s) => [s.space_name, { committedMiB: s.physical_space_size / MIB, usedMiB: s.space_used_size / MIB }]),
  );
  const mib = Object.fromEntries(Object.entries(memory).map(([k, v]) => [k, v / MIB]));
  return { ...mib, mallocedMiB: v8.getHeapStatistics().malloced_memory / MIB, spaces };
}

process.on('message', (message) => {
  if (message !== 'heap-report') return;
  const before = reading();
  globalThis.gc?.();
  process.send?.({ heapReport: { before, afterGc: reading() } });
});
// The channel must not keep the process alive on shutdown.
process.channel?.unref();
