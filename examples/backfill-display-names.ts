// jobrunner: timeout=10m
// Backfills users.display_name from first and last name, in batches. In a real script the rows
// come from your database client; here they are inline so the example runs anywhere.
import { batches } from './lib/batches';

const dryRun = (process.env.DRY_RUN ?? '1') !== '0';
const users = [
  { id: 1, first: 'Ada', last: 'Lovelace', display: null as string | null },
  { id: 2, first: 'Alan', last: 'Turing', display: 'alan' },
  { id: 3, first: 'Grace', last: 'Hopper', display: null as string | null },
];

let updated = 0;
for (const batch of batches(users.filter((u) => u.display === null), 100)) {
  for (const user of batch) {
    const display = `${user.first} ${user.last}`;
    console.log(`${dryRun ? 'would set' : 'set'} user ${user.id} display_name=${JSON.stringify(display)}`);
    if (!dryRun) user.display = display;
    updated += 1;
  }
}
console.log(`backfill done: ${updated} users ${dryRun ? 'to update (dry run)' : 'updated'}`);
