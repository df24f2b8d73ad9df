import { lazy, Suspense, useState } from "react";
import type { Address } from "viem";
import { useConnect, useConnection, useConnectors, useDisconnect, useSwitchChain } from "wagmi";

import { Balances, ChainClock, RecentTransactions, TxToasts } from "./Account.tsx";
import { Claim } from "./Claim.tsx";
import type { AppConfig } from "./config.ts";
import { Leases } from "./Leases.tsx";
import { Market } from "./Market.tsx";

// The provider and token economics pages load on demand, outside the first load: they read the
// emission through the package's ethers-based readers, whose provider stack is large.
const Provider = lazy(() => import("./Provider.tsx").then((m) => ({ default: m.Provider })));
const Economics = lazy(() => import("./Economics.tsx").then((m) => ({ default: m.Economics })));

const PAGES = {
  claim: "Claim",
  market: "Market",
  leases: "My leases",
  provider: "Provider",
  economics: "Token economics",
} as const;
type Page = keyof typeof PAGES;

/** The page named in the URL's hash, so a page can be linked to and reloaded. */
const pageOf = (hash: string): Page => (hash.slice(1) in PAGES ? (hash.slice(1) as Page) : "claim");

export function App({ app }: { app: AppConfig }) {
  const [page, setPage] = useState<Page>(pageOf(location.hash));
  return (
    <>
      <header>
        <h1>gpufog</h1>
        <nav>
          {(Object.keys(PAGES) as Page[]).map((p) => (
            <a key={p} href={`#${p}`} className={p === page ? "active" : ""} onClick={() => setPage(p)}>
              {PAGES[p]}
            </a>
          ))}
        </nav>
        <ChainClock />
        <Wallet chainName={app.chain.name} gut={app.contracts.gut} />
        <TxToasts />
      </header>
      <WrongNetwork chainId={app.chain.id} chainName={app.chain.name} />
      <main>
        {page === "claim" && <Claim app={app} />}
        {page === "market" && <Market app={app} />}
        {page === "leases" && <Leases app={app} />}
        <Suspense fallback={<p>Loading…</p>}>
          {page === "provider" && <Provider app={app} />}
          {page === "economics" && <Economics app={app} />}
        </Suspense>
      </main>
    </>
  );
}

/** A banner while the wallet is on another chain than the app's, with a switch; nothing is sent meanwhile (see `send`). */
function WrongNetwork({ chainId, chainName }: { chainId: number; chainName: string }) {
  const { chainId: walletChain, status } = useConnection();
  const { mutate: switchChain, error, isPending } = useSwitchChain();
  if (status !== "connected" || walletChain === undefined || walletChain === chainId) return null;
  return (
    <div className="banner error" role="alert" data-testid="wrong-network">
      The wallet is on chain {walletChain}, not on {chainName} (chain {chainId}): nothing can be sent until it switches.{" "}
      <button disabled={isPending} onClick={() => switchChain({ chainId })}>
        Switch to {chainName}
      </button>
      {error && <span> {error.message}</span>}
    </div>
  );
}

function Wallet({ chainName, gut }: { chainName: string; gut: Address }) {
  const { address, status } = useConnection();
  const connectors = useConnectors();
  const { mutate: connect, error } = useConnect();
  const { mutate: disconnect } = useDisconnect();
  const hasWallet = typeof window !== "undefined" && "ethereum" in window;
  if (address) {
    return (
      <div className="wallet" data-testid="wallet">
        <Balances account={address} gut={gut} /> <span title={chainName}>{address}</span> <RecentTransactions />{" "}
        <button onClick={() => disconnect()}>Disconnect</button>
      </div>
    );
  }
  return (
    <div className="wallet" data-testid="wallet">
      {hasWallet ? (
        <button disabled={status === "connecting"} onClick={() => connect({ connector: connectors[0]! })}>
          Connect wallet
        </button>
      ) : (
        <span className="muted">Read-only: no wallet in this browser</span>
      )}
      {error && <span className="error"> {error.message}</span>}
    </div>
  );
}
