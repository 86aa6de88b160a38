/**
 * Shared pieces of the command line: errors shown as one line, option parsers, the package version,
 * output directories, devices and threads.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { MODEL_NAMES } from '../models';
import { OPTIMIZER_NAMES, type ModelName, type OptimizerName } from '../train/recipes';
import { cuda, setNumThreads } from '../backend';
import type { DeviceLike } from '../device';

/**
 * An error the user can fix (bad input, a missing file): printed as `deepscope: <message>`, no stack
 * trace. `exitCode` is 2 for bad usage (options), 1 otherwise.
 */
export class CliError extends Error {
  /** Process exit code. */
  readonly exitCode: number;

  /** @param message one line, no `deepscope:` prefix; @param exitCode default 1 */
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A bad option value: exit code 2. */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}

/** The first line of an error's message (native and library errors can be long). */
export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].trim();
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Parser of a positive integer option (`--epochs`, `--batch-size`, `--threads`). */
export function positiveInt(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\s*\+?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw usageError(`${flag} must be a positive integer, got '${value}'`);
    }
    return n;
  };
}

/** Parser of a non-negative integer option (`--seed`). */
export function nonNegativeInt(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\s*\+?\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw usageError(`${flag} must be a non-negative integer, got '${value}'`);
    return n;
  };
}

/** Parser of a number option (`--lr`: positive, `--weight-decay`: non-negative). */
export function numberArg(flag: string, { positive = false } = {}): (value: string) => number {
  return (value: string) => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(n) || n < 0 || (positive && n === 0)) {
      throw usageError(`${flag} must be a ${positive ? 'positive' : 'non-negative'} number, got '${value}'`);
    }
    return n;
  };
}

/** Parser of `--model`. */
export function modelArg(value: string): ModelName {
  if (!(MODEL_NAMES as readonly string[]).includes(value)) throw usageError(`unknown model '${value}' (known: ${MODEL_NAMES.join(', ')})`);
  return value as ModelName;
}

/** Parser of `--optimizer`. */
export function optimizerArg(value: string): OptimizerName {
  const v = value.toLowerCase();
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(v)) throw usageError(`unknown optimizer '${value}' (known: ${OPTIMIZER_NAMES.join(', ')})`);
  return v as OptimizerName;
}

/** Parser of `--device`: `cpu`, `cuda` or `cuda:N`. */
export function deviceArg(value: string): DeviceLike {
  if (!/^(cpu|cuda(:\d+)?)$/.test(value)) throw usageError(`unknown device '${value}' (use cpu, cuda or cuda:N)`);
  return value as DeviceLike;
}

/** Checks that `device` can be used: CUDA built, a driver and the device present. */
export function checkDevice(device: DeviceLike): void {
  if (typeof device !== 'string') return;
  if (device === 'cpu') return;
  const info = cuda.info();
  if (!info.built) throw new CliError(`device '${device}': this build of deepscope has no CUDA backend (rebuild with nvcc on the PATH)`);
  if (!info.available) throw new CliError(`device '${device}': CUDA is not available (${info.reason || 'no device'})`);
  const index = device.includes(':') ? Number(device.split(':')[1]) : 0;
  if (index >= info.devices.length) throw new CliError(`device '${device}': only ${info.devices.length} CUDA device(s) present`);
}

/** Applies `--threads` when given. */
export function applyThreads(threads: number | undefined): void {
  if (threads !== undefined) setNumThreads(threads);
}

/**
 * Creates `dir` (with parents) and checks that files can be written there, before any long work.
 * @returns the absolute path
 */
export function prepareOutDir(dir: string): string {
  const abs = path.resolve(dir);
  try {
    fs.mkdirSync(abs, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create output directory '${dir}': ${describeFsError(e)}`);
  }
  if (!fs.statSync(abs).isDirectory()) throw new CliError(`output directory '${dir}' is not a directory`);
  const probe = path.join(abs, `.deepscope-write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (e) {
    throw new CliError(`cannot write to output directory '${dir}': ${describeFsError(e)}`);
  }
  return abs;
}

/** `ENOENT: no such file or directory` style text of a file-system error, without the path repeated. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const messages: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'a parent is not a directory',
    EEXIST: 'a file with that name exists',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EISDIR: 'is a directory',
  };
  if (err && typeof err.code === 'string') return messages[err.code] ? `${messages[err.code]} (${err.code})` : err.code;
  return firstLine(e);
}

/** Formats a fraction as a percentage with two decimals: `0.986` → `'98.60%'`. */
export function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** Formats an integer with thousands separators: `61706` → `'61,706'`. */
export function thousands(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Parser of an option that names one of `names` (case-insensitive when `lower`): a usage error listing
 * them otherwise, e.g. "unknown method 'x' (known: a, b)".
 */
export function choiceArg<T extends string>(what: string, names: readonly T[], lower = true): (value: string) => T {
  return (value: string) => {
    const v = lower ? value.toLowerCase() : value;
    if (!(names as readonly string[]).includes(v)) throw usageError(`unknown ${what} '${value}' (known: ${names.join(', ')})`);
    return v as T;
  };
}

/** Parser of a repeatable option: the values in order. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
