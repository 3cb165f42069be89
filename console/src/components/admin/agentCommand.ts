// The data directory docs/agent.md uses in its example.
export const agentDataDir = "/var/lib/hearth-agent";

// shellQuote leaves plain words alone and single-quotes the rest.
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// agentCommand is what to run on the machine that joins the cluster, as
// docs/agent.md prescribes: the join token in the environment
// (HEARTH_AGENT_JOIN_TOKEN; argv is visible to other users), then
// `hearth-agent run --server URL --data-dir DIR`.
export function agentCommand(server: string, token: string, dataDir = agentDataDir): string {
  return [
    `export HEARTH_AGENT_JOIN_TOKEN=${shellQuote(token)}`,
    `hearth-agent run --server ${shellQuote(server)} --data-dir ${shellQuote(dataDir)}`,
  ].join("\n");
}

// agentStatus says how an agent is doing from what the server knows.
export function agentStatus(
  agent: { revokeTime?: unknown; lastSeenTime?: { seconds: bigint } },
  now = Date.now(),
): { label: string; color: string } {
  if (agent.revokeTime) {
    return { label: "Revoked", color: "red" };
  }
  if (!agent.lastSeenTime) {
    return { label: "Never connected", color: "gray" };
  }
  const ageMs = now - Number(agent.lastSeenTime.seconds) * 1000;
  return ageMs < 2 * 60_000 ? { label: "Online", color: "green" } : { label: "Offline", color: "orange" };
}
