// Preloaded into every process the merkle bench times (`node --import rss.js …`), so that each
// one's peak RSS is read the same way, whatever it runs (the peers, the library, Hardhat's CLI):
// at exit, the process's own high-water mark, in bytes, into the file the bench names. Linux's
// VmHWM belongs to the process image and starts afresh at exec; getrusage's maxRSS does not (a
// spawned process starts with its parent's, which floored every small figure at the bench's own).
import { readFileSync, writeFileSync } from "node:fs";

const file = process.env.GPUFOG_BENCH_RSS;
if (file !== undefined) {
  process.on("exit", () => {
    const kB = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "latin1"))?.[1];
    if (kB === undefined) throw new Error("/proc/self/status has no VmHWM: the merkle bench reads peak RSS on Linux");
    writeFileSync(file, String(Number(kB) * 1024));
  });
}
