#!/usr/bin/env bash
# jobrunner: timeout=5m
# Lists exports older than the cutoff that would be archived. Stops at the first error.
set -euo pipefail
cutoff="${CUTOFF_DAYS:-30}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
touch -d "40 days ago" "$work/export-old.csv"
touch "$work/export-new.csv"
count=0
while IFS= read -r file; do
  echo "would archive $(basename "$file")"
  count=$((count + 1))
done < <(find "$work" -name 'export-*.csv' -mtime +"$cutoff" | sort)
echo "archive done: $count exports older than $cutoff days"
