// Rewrites stored webhook URLs from an old host to a new one. Exits 1 if any URL is invalid.
const from = process.env.OLD_HOST ?? 'hooks.old.example';
const to = process.env.NEW_HOST ?? 'hooks.new.example';
const stored = ['https://hooks.old.example/a', 'https://hooks.old.example/b', 'https://other.example/c'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let changed = 0;
for (const value of stored) {
  const url = new URL(value);
  if (url.host !== from) continue;
  url.host = to;
  await sleep(1); // a real script would await the database write here
  console.log(`rewrote ${value} -> ${url}`);
  changed += 1;
}
console.log(`rotate done: ${changed} URLs rewritten`);
