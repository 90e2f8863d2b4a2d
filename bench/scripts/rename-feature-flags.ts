// jobrunner: timeout=5m
// Renames feature flags to the new naming scheme and reports collisions. A benchmark script.
interface Flag {
  key: string;
  enabled: boolean;
  rollout: number;
  owners: string[];
}

const renames: ReadonlyArray<readonly [RegExp, (match: RegExpMatchArray) => string]> = [
  [/^enable_(.+)$/, (match) => `${match[1]}.enabled`],
  [/^(.+)_rollout_pct$/, (match) => `${match[1]}.rollout`],
  [/^exp_(\w+)_(\d+)$/, (match) => `experiment.${match[1]}.v${match[2]}`],
];

function rename(key: string): string {
  for (const [pattern, replacement] of renames) {
    const match = key.match(pattern);
    if (match) return replacement(match);
  }
  return key;
}

const flags: Flag[] = [
  { key: 'enable_checkout_v2', enabled: true, rollout: 100, owners: ['payments'] },
  { key: 'search_rollout_pct', enabled: true, rollout: 25, owners: ['search'] },
  { key: 'exp_pricing_3', enabled: false, rollout: 0, owners: ['growth'] },
  { key: 'checkout_v2.enabled', enabled: true, rollout: 100, owners: ['payments'] },
];

const seen = new Map<string, Flag>();
const collisions: string[] = [];
for (const flag of flags) {
  const renamed = rename(flag.key);
  const existing = seen.get(renamed);
  if (existing) collisions.push(`${flag.key} and ${existing.key} both become ${renamed}`);
  else seen.set(renamed, flag);
}
for (const collision of collisions) console.log(`collision: ${collision}`);
console.log(`${seen.size} flags after renaming, ${collisions.length} collisions`);
if (collisions.length > 0) process.exitCode = 1;
