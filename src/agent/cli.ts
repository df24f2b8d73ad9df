#!/usr/bin/env node
// `gpufog`: the operators' command (the package's `bin`). A thin layer over ./provider.ts,
// ./keeper.ts, ./status.ts and ../customer/client.ts: it parses arguments, prints help, and turns
// the library's expected failures into one line on stderr and a non-zero exit, never a stack trace.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { readCustomerConfig } from "../customer/config.js";
import { runCustomer } from "../customer/client.js";
import { GpufogError } from "../errors.js";
import { parseDuration, parseStart } from "../parse.js";
import { readAnyConfig, readKeeperConfig, readProviderConfig } from "./config.js";
import { runKeeper } from "./keeper.js";
import { createKeystore, importKeystore } from "./keystore.js";
import { fund, setOperator, showOperator } from "./operator.js";
import { requestClose, runProviderAgent } from "./provider.js";
import { keeperStatus, providerStatus } from "./status.js";

const HELP: Record<string, string> = {
  main: `gpufog — run a gpufog provider, keeper or customer for months without a person

Usage:
  gpufog provider run --config provider.json   check in, accept starts, collect receipts, withdraw
                                               and claim for one provider
  gpufog provider close --config provider.json --lease <id>
                                               ask the running agent to close a lease
  gpufog keeper run --config keeper.json       mark, finalize, fail, expire, forward, observe and
                                               buy back
  gpufog customer run --config customer.json [--until <time> | --duration <span>]
                                               open or follow a lease and pay for it with receipts
                                               every interval; the access written to a file
  gpufog status --config <file>                a provider's nodes, leases, receipts, earnings and
                                               rewards, or the keeper's queue
  gpufog keystore new --out <file> --password-file <file>
                                               a new key (an operator's hot key) in a keystore
  gpufog keystore import --out <file> --password-file <file> [--key-file <file>]
                                               an existing key, from stdin or a mode-600 file
  gpufog operator set --config provider.json [--operator <address>]
                                               name the agent's key the provider's operator
                                               (signed with the provider's own keystore)
  gpufog operator show --config provider.json  the provider's operator and the agent's key
  gpufog fund --config provider.json --to operator --amount 0.05
                                               send gas money (ETH) from the provider's key

Options:
  -h, --help       help for a command (gpufog provider run --help)
  -v, --version    the package version

Keys live in encrypted JSON keystores opened with a password file, never on the command line.
Configuration, metrics and a systemd unit: docs/operators.md in the package.`,
  provider: `gpufog provider run --config provider.json [--once]
gpufog provider close --config provider.json --lease <id>

run: runs the provider agent until SIGTERM or SIGINT. It checks in the provider's Idle and
Reserved nodes in checkIn batches before checkInPeriod runs out (nothing while every node is
Sharing), accepts reservation starts within the accept window, takes the receipts dropped in its
inbox folder (receipt:sign's files) and collects each lease's best receipt on a schedule and
before a closing lease's collect window ends, closes a lease whose deposit is spent, withdraws
earnings above each token's threshold (to the provider), and claims mining rewards worth more than
the gas (with the provider's own key). With "apiPort" set it also serves the lease session over
HTTP: quotes, signed presence, receipts (stored before they are acknowledged) and each lease's
access from the provider's start hook; it runs the end hook and closes a lease left unpaid for two
receipt intervals (docs/operators.md, "The agent's API").

close: leaves a request that the running agent closes the lease with its best receipt at its next
round (the agent alone sends from its key).

Options:
  --config <file>   the provider agent's JSON config (see docs/operators.md)
  --lease <id>      (close) the lease to close
  --once            (run) run one round and exit
  -h, --help        this help`,
  keeper: `gpufog keeper run --config keeper.json [--dry-run] [--once]

Runs the keeper until SIGTERM or SIGINT: marks stale Idle and Reserved nodes Disconnect,
finalizes leases past their collect window, closes leases whose deposit is spent, fails
reservations whose start was not accepted in time or whose node went down, expires those past
their deadline, forwards protocol fees, keeps the TWAP observations fresh and buys back ended
buckets in slices the pool can take. Jobs whose gas exceeds their value, or
whose gas price is above the cap, are skipped.

Options:
  --config <file>   the keeper's JSON config (see docs/operators.md)
  --dry-run         print, as JSON lines, what one round would send, and exit; sends nothing
  --once            run one round and exit
  -h, --help        this help`,
  customer: `gpufog customer run --config customer.json [--until <time> | --duration <span>]

Runs the headless customer of one lease until SIGTERM or SIGINT, --until or --duration. It opens
the lease with a quote fetched from the node's agent (the registry's URI), naming a session key
(or follows the config's "lease"), then every receipt interval signs a cumulative receipt paying
"horizonSeconds" ahead of now with the session key and sends it to the agent; once the lease
starts it writes the access the agent gives to the session key to "accessFile". If the node stops,
the customer pays at most the horizon. The state file keeps the lease and the highest receipt
signed: a restart follows the same lease and never signs less. At the end it closes the lease
("closeAtEnd", default true; "closeOnSignal" for SIGTERM, default false) or leaves it: the provider
then stops serving two intervals past the last receipt and closes it paid to it. Run again after a
close's collect window to finalize (the refund). See docs/customers.md.

Options:
  --config <file>      the customer's JSON config (see docs/customers.md)
  --until <time>       stop at unix seconds, an ISO date or +delay (+2h)
  --duration <span>    stop after 3600, 90m, 12h or 30d
  -h, --help           this help`,
  status: `gpufog status --config <file>

Prints, for a provider config, the provider's operator, nodes and when their check-in is due,
open and closing leases with their best receipts and collect deadlines, reservations starting,
earnings and protocol fees due by token, mining rewards and the agent's transaction in flight; for a keeper config, the jobs its next
round would run. Reads the chain and the state file; needs no password.

Options:
  --config <file>   a provider or keeper config (its "kind" field tells which)
  -h, --help        this help`,
  keystore: `gpufog keystore new --out <file> --password-file <file>
gpufog keystore import --out <file> --password-file <file> [--key-file <file>]

new: creates a random key and writes it to <file> as an encrypted JSON keystore (scrypt), with
the first line of the password file as its password, then prints its address: the operator
address a provider names with "gpufog operator set", or the keeper's account.
import: writes an existing private key (64 hex digits, 0x optional) the same way. The key is read
from stdin, or from --key-file, which must be mode 600; never from the command line.
Both refuse to overwrite a file and refuse a password file others can read.

Options:
  --out <file>             where to write the keystore
  --password-file <file>   the password (its first line); mode 600, 8 characters or more
  --key-file <file>        (import) the private key's file, mode 600; "-" or none: stdin
  -h, --help               this help`,
  operator: `gpufog operator set --config provider.json [--operator <address>] [--keystore <file> --password-file <file>]
gpufog operator show --config provider.json

set: sends ProviderRegistry.setOperator from the provider's own (cold) key, naming <address> (the
address of the config's "keystore", the agent's key, if omitted) the operator that may check in,
accept starts, collect and withdraw (to the provider) for it. The cold keystore is the config's
"providerKeystore" with "providerPasswordFile", or --keystore with --password-file; a key that is
not the provider's is refused before anything is sent.
show: prints the provider, its operator on the chain, and whether the agent's key is it, with the
agent key's balance. Needs no password.

Options:
  --config <file>          the provider agent's config
  --operator <address>     (set) the new operator; the agent's key if omitted
  --keystore <file>        (set) the provider's own keystore, instead of "providerKeystore"
  --password-file <file>   (set) its password file, instead of "providerPasswordFile"
  -h, --help               this help`,
  fund: `gpufog fund --config provider.json --to operator --amount <ETH> [--keystore <file> --password-file <file>]

Sends <ETH> of the chain's native coin (gas money) from the provider's own (cold) key to the agent's
key (--to operator) or to an address, waits for it to be mined, and prints the amount and both
balances before and after. The cold keystore is named as for "gpufog operator set".

Options:
  --config <file>          the provider agent's config
  --to <operator|address>  who receives: "operator" (the config's keystore) or an address
  --amount <ETH>           a decimal amount such as 0.05
  --keystore <file>        the provider's own keystore, instead of "providerKeystore"
  --password-file <file>   its password file, instead of "providerPasswordFile"
  -h, --help               this help`,
};

class UsageError extends Error {}

/** The version in the package's package.json, found upwards from this file (dist/ or the sources). */
function version(): string {
  for (let dir = new URL(".", import.meta.url); dir.pathname !== "/"; dir = new URL("..", dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { name?: string; version: string };
      if (pkg.name === "gpufog") return pkg.version;
    } catch {
      // No package.json here: look one directory up.
    }
  }
  return "unknown";
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      "dry-run": { type: "boolean" },
      once: { type: "boolean" },
      lease: { type: "string" },
      out: { type: "string" },
      "password-file": { type: "string" },
      "key-file": { type: "string" },
      keystore: { type: "string" },
      operator: { type: "string" },
      to: { type: "string" },
      amount: { type: "string" },
      until: { type: "string" },
      duration: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
  const [command, sub] = positionals;
  if (values.version) {
    console.log(version());
    return 0;
  }
  if (command === undefined || (values.help && !(command in HELP))) {
    console.log(HELP.main);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (!(command in HELP) || command === "main") throw new UsageError(`unknown command "${command}"`);
  if (values.help) {
    console.log(HELP[command]);
    return 0;
  }
  // A stray word is refused without being echoed: it may be a key or a password pasted in.
  if (positionals.length > (command === "fund" || command === "status" ? 1 : 2)) {
    throw new UsageError(
      `unexpected argument after "gpufog ${command}${command === "fund" || command === "status" ? "" : ` ${sub}`}" (not shown); keys and passwords are read from files or stdin, never the command line`,
    );
  }
  const config = () => {
    if (values.config === undefined) throw new UsageError(`${command} needs --config <file>`);
    return values.config;
  };
  const expectSub = (want: string) => {
    if (sub !== want) throw new UsageError(`"gpufog ${command}" takes "${want}" (gpufog ${command} ${want} --help)`);
  };
  switch (command) {
    case "provider": {
      if (values["dry-run"]) throw new UsageError("--dry-run is a keeper option");
      if (sub === "close") {
        if (values.lease === undefined || !/^[1-9]\d*$/.test(values.lease)) {
          throw new UsageError("provider close needs --lease <id>, a lease id such as 7");
        }
        console.log(requestClose(await readProviderConfig(config()), BigInt(values.lease)));
        return 0;
      }
      expectSub("run");
      await runProviderAgent(await readProviderConfig(config()), { once: values.once });
      return 0;
    }
    case "customer": {
      expectSub("run");
      if (values.until !== undefined && values.duration !== undefined) {
        throw new UsageError("customer run takes --until or --duration, not both");
      }
      const nowMs = Date.now();
      const untilMs =
        values.until !== undefined
          ? Number(parseStart("--until", "", values.until, BigInt(Math.floor(nowMs / 1000)))) * 1000
          : values.duration !== undefined
            ? nowMs + Number(parseDuration("--duration", "", values.duration)) * 1000
            : undefined;
      if (untilMs !== undefined && untilMs <= nowMs)
        throw new UsageError(`--until ${values.until} is not in the future`);
      await runCustomer(await readCustomerConfig(config()), { untilMs });
      return 0;
    }
    case "keeper":
      expectSub("run");
      await runKeeper(await readKeeperConfig(config()), { dryRun: values["dry-run"], once: values.once });
      return 0;
    case "status": {
      const c = await readAnyConfig(config());
      console.log(c.kind === "provider" ? await providerStatus(c) : await keeperStatus(c));
      return 0;
    }
    case "operator": {
      if (sub === "show") {
        console.log(await showOperator(await readProviderConfig(config())));
        return 0;
      }
      expectSub("set");
      const cold = { keystore: values.keystore, passwordFile: values["password-file"] };
      console.log(await setOperator(await readProviderConfig(config()), values.operator, cold));
      return 0;
    }
    case "fund": {
      if (values.to === undefined || values.amount === undefined) {
        throw new UsageError("fund needs --to operator (or an address) and --amount <ETH>, such as 0.05");
      }
      const cold = { keystore: values.keystore, passwordFile: values["password-file"] };
      console.log(await fund(await readProviderConfig(config()), values.to, values.amount, cold));
      return 0;
    }
    default: {
      if (sub === "import") {
        if (values.out === undefined || values["password-file"] === undefined) {
          throw new UsageError("keystore import needs --out <file> and --password-file <file>");
        }
        console.log(await importKeystore(values.out, values["password-file"], values["key-file"] ?? "-"));
        return 0;
      }
      expectSub("new");
      if (values.out === undefined || values["password-file"] === undefined) {
        throw new UsageError("keystore new needs --out <file> and --password-file <file>");
      }
      console.log(await createKeystore(values.out, values["password-file"]));
      return 0;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      console.error(`gpufog: ${error.message} (gpufog --help)`);
      process.exitCode = 2;
    } else if (error instanceof GpufogError) {
      console.error(`gpufog: ${error.message}`);
      process.exitCode = 1;
    } else {
      // A bug or an endpoint beyond every retry: one line; GPUFOG_DEBUG=1 shows the stack.
      console.error(`gpufog: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
      if (process.env.GPUFOG_DEBUG === "1" && error instanceof Error) console.error(error.stack);
      process.exitCode = 1;
    }
  },
);
