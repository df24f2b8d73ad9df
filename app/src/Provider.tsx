// The connected provider: its nodes, a registration form with the stake the registry will lock
// shown before signing (`requiredStake`), and its earnings: what each of its leases has accrued
// beyond what was withdrawn, withdrawn in one `withdraw(leaseIds)` (the escrow keeps its fee).
import { formatToken, formatTu, modelId, modelName, statusName } from "gpufog";
import { LeaseEscrow, ProviderRegistry } from "gpufog/abi";
import { useCallback, useEffect, useRef, useState } from "react";
import { type Address, erc20Abi, type Hex, parseUnits } from "viem";
import { useConfig, useConnection } from "wagmi";

import { type Call, client, send, type TxState } from "./chain.ts";
import type { AppConfig } from "./config.ts";
import { TxStatus } from "./TxStatus.tsx";

/** The stake and earnings token: GUT, 18 decimals. */
const gut = (amount: bigint) => formatToken(amount, "GUT", 18, 4);

async function readProvider(app: AppConfig, config: ReturnType<typeof useConfig>, provider: Address) {
  const c = client(config);
  const registry = { address: app.contracts.registry, abi: ProviderRegistry } as const;
  const escrow = { address: app.contracts.escrow, abi: LeaseEscrow } as const;
  const [count, [models, entries], leaseCount] = await Promise.all([
    c.readContract({ ...registry, functionName: "nodeCount" }),
    c.readContract({ ...registry, functionName: "catalog" }),
    c.readContract({ ...escrow, functionName: "leaseCount" }),
  ]);
  const nodes = (await c.readContract({ ...registry, functionName: "nodes", args: [0n, count] })).filter(
    (n) => n.provider === provider && n.status !== 0,
  );
  // Earnings: every lease of this provider whose accrued amount is above what it withdrew.
  const earning: { id: bigint; amount: bigint }[] = [];
  for (let id = 1n; id <= leaseCount; id++) {
    const lease = await c.readContract({ ...escrow, functionName: "lease", args: [id] });
    if (lease.provider !== provider) continue;
    const [accrued] = await c.readContract({ ...escrow, functionName: "accrued", args: [id] });
    if (accrued > lease.withdrawn) earning.push({ id, amount: accrued - lease.withdrawn });
  }
  const catalog = models
    .map((m, i) => ({ model: modelName(m), milliTu: BigInt(entries[i]!.milliTu), retired: entries[i]!.retired }))
    .filter((m) => !m.retired);
  return { nodes, earning, catalog };
}

export function Provider({ app }: { app: AppConfig }) {
  const config = useConfig();
  const { address } = useConnection();
  const [data, setData] = useState<Awaited<ReturnType<typeof readProvider>>>();
  const [error, setError] = useState<string>();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  // Only the latest read is shown: wagmi restores the last session's account before the wallet
  // answers with its own, and the first read may answer last.
  const latest = useRef(0);
  const refresh = useCallback(() => {
    const n = ++latest.current;
    if (address) {
      readProvider(app, config, address).then(
        (d) => n === latest.current && setData(d),
        (e: unknown) => n === latest.current && setError(String((e as Error).message ?? e)),
      );
    }
  }, [app, config, address]);
  useEffect(refresh, [refresh]);

  if (!address) return <p className="muted">Connect a wallet to see its nodes and earnings.</p>;
  if (error) return <p className="error">Cannot read the registry: {error}</p>;
  if (!data) return <p>Reading the registry…</p>;
  const earned = data.earning.reduce((sum, e) => sum + e.amount, 0n);
  const withdraw = async () => {
    const calls: Call[] = [
      {
        label: "Withdrawal",
        address: app.contracts.escrow,
        abi: LeaseEscrow,
        functionName: "withdraw",
        args: [data.earning.map((e) => e.id)],
        money: gut,
      },
    ];
    if (await send(config, address, calls, setTx)) refresh();
  };
  return (
    <>
      <section className="card" id="earnings">
        <h2>Earnings</h2>
        <p>
          Accrued and not withdrawn: <strong data-testid="earned">{gut(earned)}</strong> from {data.earning.length}{" "}
          lease(s); the escrow keeps its protocol fee on withdrawal.{" "}
          <button disabled={earned === 0n} onClick={() => void withdraw()}>
            Withdraw
          </button>
        </p>
        <TxStatus state={tx} />
      </section>
      <section className="card">
        <h2>My nodes</h2>
        {data.nodes.length === 0 ? (
          <p className="muted">No nodes yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>node</th>
                <th>model</th>
                <th>GPUs</th>
                <th>TU</th>
                <th>status</th>
                <th>stake</th>
              </tr>
            </thead>
            <tbody>
              {data.nodes.map((n) => (
                <tr key={String(n.id)} data-node={String(n.id)}>
                  <td>{String(n.id)}</td>
                  <td>{modelName(n.model)}</td>
                  <td>{n.gpuCount}</td>
                  <td>{formatTu(BigInt(n.milliTu))}</td>
                  <td className={`status-${statusName(n.status)}`}>{statusName(n.status)}</td>
                  <td>{gut(n.stake)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <Register app={app} catalog={data.catalog} onDone={refresh} />
    </>
  );
}

function Register({
  app,
  catalog,
  onDone,
}: {
  app: AppConfig;
  catalog: { model: string; milliTu: bigint }[];
  onDone: () => void;
}) {
  const config = useConfig();
  const { address } = useConnection();
  const [model, setModel] = useState(catalog[0]?.model ?? "");
  const [gpus, setGpus] = useState("1");
  const [price, setPrice] = useState("1.0");
  const [uri, setUri] = useState("https://");
  const [stake, setStake] = useState<bigint>();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const count = /^[1-9][0-9]{0,4}$/.test(gpus.trim()) ? BigInt(gpus.trim()) : undefined;
  let priceWei: bigint | undefined;
  try {
    priceWei = parseUnits(price.trim(), 18);
  } catch {
    priceWei = undefined;
  }
  useEffect(() => {
    setStake(undefined);
    if (count === undefined || !model) return;
    client(config)
      .readContract({
        address: app.contracts.registry,
        abi: ProviderRegistry,
        functionName: "requiredStake",
        args: [modelId(model, "model") as Hex, count],
      })
      .then(setStake, () => setStake(undefined));
  }, [app, config, model, count]);

  const register = async () => {
    if (!address || stake === undefined || count === undefined || priceWei === undefined) return;
    const allowance = await client(config).readContract({
      address: app.contracts.gut,
      abi: erc20Abi,
      functionName: "allowance",
      args: [address, app.contracts.registry],
    });
    const calls: Call[] = [];
    if (allowance < stake) {
      calls.push({
        label: `Approve the stake of ${gut(stake)}`,
        address: app.contracts.gut,
        abi: erc20Abi,
        functionName: "approve",
        args: [app.contracts.registry, stake],
        money: gut,
      });
    }
    calls.push({
      label: "Registration",
      address: app.contracts.registry,
      abi: ProviderRegistry,
      functionName: "register",
      args: [modelId(model, "model") as Hex, count, priceWei, app.contracts.gut, uri.trim()],
      money: gut,
    });
    if (await send(config, address, calls, setTx)) onDone();
  };
  return (
    <section className="card" id="register">
      <h2>Register a node</h2>
      <div className="row">
        <label>
          GPU model{" "}
          <select aria-label="model" value={model} onChange={(e) => setModel(e.target.value)}>
            {catalog.map((m) => (
              <option key={m.model} value={m.model}>
                {m.model} ({formatTu(m.milliTu)} TU)
              </option>
            ))}
          </select>
        </label>
        <label>
          GPUs <input aria-label="GPU count" value={gpus} onChange={(e) => setGpus(e.target.value)} />
        </label>
        <label>
          GUT per TU-hour <input aria-label="price" value={price} onChange={(e) => setPrice(e.target.value)} />
        </label>
        <label>
          Endpoint <input aria-label="endpoint" value={uri} onChange={(e) => setUri(e.target.value)} />
        </label>
      </div>
      <p data-testid="stake">
        {count === undefined
          ? `"${gpus}" is not a GPU count`
          : priceWei === undefined
            ? `"${price}" is not a price in GUT`
            : stake === undefined
              ? "Reading the stake…"
              : `Registering locks a stake of ${gut(stake)} until the node is deregistered and its unbonding ends.`}
      </p>
      <button
        disabled={!address || stake === undefined || count === undefined || priceWei === undefined}
        onClick={() => void register()}
      >
        Register
      </button>
      <TxStatus state={tx} />
    </section>
  );
}
