import { run } from './run.js';

// A reader that stops early (`xstate-checkpoint ls ... | head`) closes the pipe: that ends the
// output, it is not a failure to report with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

// The bin entry (`xstate-checkpoint`): run the command line, exit with its code.
process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  cwd: process.cwd(),
  now: Date.now,
});
