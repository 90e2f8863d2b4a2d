// What the benchmark's scripts use of Node's globals, for `tsc` (Debian ships no @types/node).
declare const process: {
  env: Record<string, string | undefined>;
  exitCode: number | undefined;
  argv: string[];
};
