/**
 * Seeded random number generation. Draws are counter-based (Philox4x32-10): a generator is a seed plus an
 * offset that advances by the size of each draw, so the same seed gives the same numbers on every run,
 * thread count and backend.
 * @module
 */

const MAX_SEED = Number.MAX_SAFE_INTEGER;

/**
 * A random stream. Pass one as `generator` to any random function for a stream of its own; otherwise the
 * global generator (see {@link manualSeed}) is used.
 * @example
 * const g = new Generator(42);
 * const a = randn([3], { generator: g });
 */
export class Generator {
  private seedValue = 0;
  /** @internal Philox counters consumed so far. */
  offset = 0;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** The seed this stream started from. */
  get seed(): number {
    return this.seedValue;
  }

  /** Restarts the stream from `seed` (an integer in 0..2^53-1). Returns the generator. */
  manualSeed(seed: number): this {
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw new RangeError(`manualSeed: seed must be an integer in 0..2^53-1, got ${seed}`);
    }
    this.seedValue = seed;
    this.offset = 0;
    return this;
  }

  /** @internal Reserves counters for `n` draws; returns the attributes of the native op. */
  take(n: number): { seed: number; offset: number } {
    const at = { seed: this.seedValue, offset: this.offset };
    this.offset += Math.ceil(n / 4);
    return at;
  }
}

/** The generator used when none is passed. Its initial seed is fixed, so runs are reproducible. */
export const defaultGenerator = new Generator(0x5eed);

/**
 * Reseeds the global generator.
 * @example manualSeed(0); const a = rand([2]); manualSeed(0); const b = rand([2]); // a equals b
 */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
