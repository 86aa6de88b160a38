#!/usr/bin/env node
/**
 * The `deepscope` command line: `demo`, `train`, `eval`, `info`, `summary`, `gradcam`, `attack`, `predict`,
 * `landscape`, `lesion` and `signal` (each in its own file under `src/cli/`). Results go to stdout,
 * progress to stderr. A user error (bad option, missing file) prints one line, `deepscope: <problem>`, and exits with 2 for bad usage or 1 otherwise; `DEEPSCOPE_DEBUG=1`
 * adds stack traces for unexpected errors.
 * @module
 */
import { Command, CommanderError } from 'commander';
import { CliError, firstLine, packageVersion } from './cli/common';
import { registerDemo } from './cli/demo';
import { registerTrain } from './cli/train';
import { registerEval } from './cli/eval';
import { registerInfo } from './cli/info';
import { registerSummary } from './cli/summary';
import { registerGradcam } from './cli/gradcam';
import { registerAttack } from './cli/attack';
import { registerLandscape } from './cli/landscape';
import { registerLesion } from './cli/lesion';
import { registerSignal } from './cli/signal';
import { registerPredict } from './cli/predict';

/** The program with its subcommands; `exitOverride` makes it throw instead of exiting. */
export function buildProgram(): Command {
  const program = new Command('deepscope');
  program
    .description('deep learning for Node.js: train, evaluate and inspect models from the command line')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .allowExcessArguments(false)
    .showSuggestionAfterError(true)
    .configureOutput({
      // Commander's own errors ("error: unknown option '--x'\n(Did you mean --y?)") as one line.
      outputError: (str, write) => write(`deepscope: ${str.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ').trim()}\n`),
    })
    .addHelpText('after', '\nRun `deepscope <command> --help` for the options of a command.\nStart with: deepscope demo');
  registerDemo(program);
  registerTrain(program);
  registerEval(program);
  registerInfo(program);
  registerSummary(program);
  registerGradcam(program);
  registerAttack(program);
  registerLandscape(program);
  registerLesion(program);
  registerSignal(program);
  registerPredict(program);
  return program;
}

/** Runs the command line on `argv` (node, script, args...); resolves to the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; commander has already printed its message for the others.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      if (e.code === 'commander.help') return 1; // no command given: help on stderr
      return 2;
    }
    if (e instanceof CliError) {
      process.stderr.write(`deepscope: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`deepscope: ${firstLine(e)}\n`);
    if (process.env.DEEPSCOPE_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
    else process.stderr.write('deepscope: (an unexpected error; DEEPSCOPE_DEBUG=1 shows the stack trace)\n');
    return 1;
  }
}

if (require.main === module) {
  // `deepscope info | head -1`: a closed pipe ends the output, not in a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  main().then((code) => {
    process.exitCode = code;
  });
}
