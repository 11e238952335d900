import { run } from './run.js';

// The bin entry (`xstate-checkpoint`): run the command line, exit with its code.
process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  cwd: process.cwd(),
  now: Date.now,
});
