#!/usr/bin/env python3
"""Names the tests that started and never ended, from a Swift Testing event stream
(`swift test --event-stream-output-path FILE --event-stream-version 0`): what a hung run
was waiting on. Also lists the tests that failed, so a cut-off log still says which."""
import json
import sys

started, ended, failed = {}, set(), set()
try:
    with open(sys.argv[1], encoding="utf-8", errors="replace") as stream:
        for line in stream:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # the last line of a killed run may be cut
            if record.get("kind") != "event":
                continue
            payload = record.get("payload", {})
            kind, test = payload.get("kind"), payload.get("testID")
            if not test:
                continue
            if kind == "testStarted":
                started[test] = payload.get("instant", {}).get("absolute", 0)
            elif kind == "testEnded":
                ended.add(test)
            elif kind == "issueRecorded":
                failed.add(test)
except FileNotFoundError:
    print("no event stream was written", file=sys.stderr)
    sys.exit(0)

unfinished = [test for test in started if test not in ended]
for test in unfinished:
    print(f"never finished: {test}")
for test in sorted(failed):
    print(f"recorded an issue: {test}")
if not unfinished and not failed:
    print("every test that started also finished")
