/**
 * A small generated English-like corpus for character-level language models: sentences of a tiny
 * grammar (article, adjective, noun, verb, preposition, article, noun), drawn from a seeded stream so a
 * run is reproducible without shipping a text file. Its words give an easy readability check: a trained
 * model's samples should consist of them.
 * @module
 */

const WORDS = {
  article: ['the', 'a'],
  adjective: ['small', 'red', 'quiet', 'old', 'happy'],
  noun: ['cat', 'dog', 'bird', 'house', 'river', 'tree'],
  verb: ['sees', 'walks to', 'runs past', 'sleeps near', 'jumps over'],
};

/** Every word {@link syntheticText} can write. */
export const SYNTHETIC_WORDS: readonly string[] = [...new Set(Object.values(WORDS).flat().flatMap((w) => w.split(' ')))];

/** Options of {@link syntheticText}. */
export interface SyntheticTextOptions {
  /** Sentences to write. Default 100. */
  sentences?: number;
  /** Seed of the word choices. Default 0. */
  seed?: number;
}

/**
 * Sentences like `the red cat walks to a tree. ` from a seeded linear congruential stream.
 * @example const text = data.syntheticText({ sentences: 200 }); // ≈ 6,000 characters
 */
export function syntheticText(options: SyntheticTextOptions = {}): string {
  const { sentences = 100, seed = 0 } = options;
  if (!Number.isInteger(sentences) || sentences < 1) throw new RangeError(`syntheticText: 'sentences' must be a positive integer, got ${sentences}`);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`syntheticText: 'seed' must be a non-negative integer, got ${seed}`);
  let s = (seed * 2654435761 + 1) >>> 0;
  const pick = (list: readonly string[]) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return list[(s >>> 16) % list.length];
  };
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) {
    out.push(`${pick(WORDS.article)} ${pick(WORDS.adjective)} ${pick(WORDS.noun)} ${pick(WORDS.verb)} ${pick(WORDS.article)} ${pick(WORDS.noun)}. `);
  }
  return out.join('');
}
