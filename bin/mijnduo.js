#!/usr/bin/env node
// Launcher for the `mijnduo` command: runs gateway/src/cli.ts through tsx (TypeScript as is),
// passing arguments, stdio and the exit code straight through.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'gateway', 'src', 'cli.ts');
// Resolve tsx from this project, so the command works from any working directory.
const tsx = import.meta.resolve('tsx');

const child = spawn(process.execPath, ['--import', tsx, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => child.kill(sig));
}
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 2);
});
child.on('error', (err) => {
  process.stderr.write(`mijnduo: cannot start node: ${err.message}\n`);
  process.exit(2);
});
