// The levels a user sets on a project or thread (SetSubscription).
// Participate is what holds without a subscription.
export const subscriptionLevels = [
  { value: "watch", label: "Watch", help: "Everything that happens in it." },
  {
    value: "participate",
    label: "Participate",
    help: "Threads you take part in and what is meant for you: reviews, mentions, your pipelines.",
  },
  { value: "mute", label: "Mute", help: "Nothing, not even mentions." },
] as const;

export const defaultLevel = "participate";

// levelLabel is a level in words ("" is the default).
export function levelLabel(level: string): string {
  return subscriptionLevels.find((l) => l.value === (level || defaultLevel))?.label ?? level;
}
