/**
 * Neural-network building blocks. `nn.functional` holds the stateless operations.
 * @module
 */
export * as functional from './functional';
