/**
 * Class scores of a model's output. Explanations and attacks need scores where higher means more likely
 * (logits); a model whose forward output is something else (LeNet-5's RBF penalties, lower is better)
 * says how to turn it into scores with a `classScores(output)` method.
 * @module
 */
import type { Tensor } from '../tensor';
import type { Module } from './module';

/** A model whose output is not class logits, with the conversion. */
export interface HasClassScores {
  /** The class scores (higher = more likely) of a forward output. */
  classScores(output: Tensor): Tensor;
}

/**
 * `model.classScores(output)` when the model defines it, else the output itself.
 * @example const logits = classScores(models.lenet5(), out); // −penalties
 */
export function classScores(model: Module, output: Tensor): Tensor {
  const f = (model as Partial<HasClassScores>).classScores;
  return typeof f === 'function' ? f.call(model, output) : output;
}
