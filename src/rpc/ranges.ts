import { refusesRange } from "./classify.js";

/**
 * `query` over blocks `from`..`to`; a range the endpoint refuses as too wide (public endpoints cap
 * `eth_getLogs`) is split in two until each part is served, down to single blocks.
 */
export async function inRanges<T>(
  query: (from: number, to: number) => Promise<T[]>,
  from: number,
  to: number,
): Promise<T[]> {
  try {
    return await query(from, to);
  } catch (error) {
    if (from >= to || !refusesRange(error)) throw error;
    const mid = from + Math.floor((to - from) / 2);
    return [...(await inRanges(query, from, mid)), ...(await inRanges(query, mid + 1, to))];
  }
}
