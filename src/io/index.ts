/**
 * Files: the safetensors format (reader and writer written here, streaming tensor by tensor), and
 * saving and loading model weights, optimizer state and training checkpoints.
 *
 * @example
 * await io.save(model, 'model.safetensors', { metadata: { epoch: '10' } });
 * await io.loadInto(model, 'model.safetensors');
 * await io.saveCheckpoint('ckpt.safetensors', { model, optimizer: opt, scheduler: sched });
 * @module
 */
export {
  writeSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  type SafetensorsDType,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsContents,
  type ReadSafetensorsOptions,
  type TensorDict,
} from './safetensors';
export {
  save,
  load,
  loadInto,
  saveOptimizer,
  loadOptimizer,
  saveCheckpoint,
  loadCheckpoint,
  type StateDictModule,
  type SaveOptions,
  type LoadOptions,
  type LoadIntoOptions,
  type Checkpoint,
} from './checkpoint';
