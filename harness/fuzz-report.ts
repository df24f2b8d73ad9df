/**
 * Solidity invariant campaigns: which one a run uses, and the counts Hardhat's runner returns.
 * Hardhat prints only `runs` for an invariant test; the calls and reverts are in the results of
 * the `test solidity` task: `hardhat fuzz` writes them to a JSON file, and the `test solidity`
 * override prints them.
 */

/** The campaigns `hardhat.config.ts` knows, selected by the environment variable GPUFOG_FUZZ. */
export const FUZZ_CAMPAIGNS = {
  ci: { runs: 256, depth: 50 },
  deep: { runs: 1280, depth: 100 },
} as const;

export type FuzzCampaign = keyof typeof FUZZ_CAMPAIGNS;

/** The campaign named by GPUFOG_FUZZ ("ci" when unset); anything else is refused. */
export function fuzzCampaignName(env: NodeJS.ProcessEnv = process.env): FuzzCampaign {
  const name = env.GPUFOG_FUZZ ?? "ci";
  if (!(name in FUZZ_CAMPAIGNS)) {
    throw new Error(`GPUFOG_FUZZ must be one of ${Object.keys(FUZZ_CAMPAIGNS).join(", ")}, not "${name}"`);
  }
  return name as FuzzCampaign;
}

/** The part of the `test solidity` task's result this report reads. */
export interface SolidityTestRun {
  success: boolean;
  value?: { suiteResults: SuiteResult[] };
  error?: { suiteResults: SuiteResult[] };
}

interface SuiteResult {
  id: { name: string; source: string };
  testResults: { name: string; status: string; kind: Record<string, unknown> }[];
}

export interface InvariantRow {
  suite: string;
  test: string;
  status: string;
  runs: number;
  depth: number;
  calls: number;
  reverts: number;
}

/** One row per invariant test (a result whose kind has `calls`). */
export function campaignRows(run: SolidityTestRun, depth: number): InvariantRow[] {
  const suites = (run.success ? run.value : run.error)?.suiteResults ?? [];
  const rows: InvariantRow[] = [];
  for (const suite of suites) {
    for (const t of suite.testResults) {
      if (!("calls" in t.kind)) continue;
      rows.push({
        suite: `${suite.id.source}:${suite.id.name}`,
        test: t.name,
        status: t.status,
        runs: Number(t.kind.runs),
        depth,
        calls: Number(t.kind.calls),
        reverts: Number(t.kind.reverts),
      });
    }
  }
  return rows;
}

export function formatCampaign(
  campaign: string,
  rows: InvariantRow[],
  runs: number,
  depth: number,
  seconds: number,
): string {
  const lines = [`fuzz campaign "${campaign}": ${runs} runs × depth ${depth}, ${seconds.toFixed(0)} s`];
  for (const r of rows) {
    lines.push(
      `  ${r.status === "Success" ? "ok  " : "FAIL"} ${r.test}  runs ${r.runs}  depth ${r.depth}  calls ${r.calls}  reverts ${r.reverts}  (${r.suite})`,
    );
  }
  return lines.join("\n");
}
