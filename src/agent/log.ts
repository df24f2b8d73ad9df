// JSON logs, one line per event, on stdout: what a log shipper (journald, Loki, Vector) reads
// without a parser of ours. Bigints become decimal strings.
import { toJson } from "../io.js";

export type Level = "info" | "warn" | "error";

/** Writes one event; `fields` are merged into the line after the time, level and event name. */
export type Logger = (level: Level, event: string, fields?: Record<string, unknown>) => void;

/** A logger that writes to `write` (stdout by default). */
export function jsonLogger(component: string, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  return (level, event, fields = {}) => {
    write(toJson({ time: new Date().toISOString(), level, component, event, ...fields }, 0) + "\n");
  };
}

/** The first line of an error's message, for a log field. */
export function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}
