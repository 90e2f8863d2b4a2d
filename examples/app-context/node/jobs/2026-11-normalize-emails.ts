// jobrunner: timeout=30m
// Lower-cases and trims users.email with the application's own rule, through the database
// driver the application has installed. Merged into jobs/ of the application's repository, it is
// built against the repository at the merge commit (src/ is bundled in) and runs in the deployed
// application's directory (JOBRUNNER_APP_DIR), where `pg` is installed and DATABASE_URL is set.
import pg from "pg";
import { normalizeEmail } from "@accounts/email";

const dryRun = (process.env.DRY_RUN ?? "1") !== "0";
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
try {
  const { rows } = await client.query("SELECT id, email FROM users ORDER BY id");
  const changes = rows.filter((row: { email: string }) => normalizeEmail(row.email) !== row.email);
  for (const row of changes) {
    console.log(`${dryRun ? "would update" : "update"} user ${row.id}`);
    if (!dryRun) await client.query("UPDATE users SET email = $1 WHERE id = $2", [normalizeEmail(row.email), row.id]);
  }
  console.log(`normalize done: ${changes.length} of ${rows.length} emails${dryRun ? " (dry run)" : ""}`);
} finally {
  await client.end();
}
