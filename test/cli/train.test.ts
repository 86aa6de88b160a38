/**
 * The training loop (`train.trainEpoch`, `train.evaluate`, `train.fit`) on a subset of MNIST: the loss
 * falls, reads are pipelined, no tensor survives an epoch, evaluation leaves the model as it was.
 */
import * as ds from '../../src';
import { settledMemory } from '../helpers';

const { train, data, models, optim } = ds;

let trainSet: ds.data.TensorDataset;
let testSet: ds.data.TensorDataset;
let subset: ds.data.TensorDataset;
let testSubset: ds.data.TensorDataset;

beforeAll(() => {
  ({ train: trainSet, test: testSet } = data.mnist({ padTo32: true }));
  subset = new data.TensorDataset(...trainSet.tensors.map((t) => ds.narrow(t, 0, 0, 1024)));
  testSubset = new data.TensorDataset(...testSet.tensors.map((t) => ds.narrow(t, 0, 0, 500)));
});

afterAll(() => {
  for (const d of [subset, testSubset, trainSet, testSet]) d?.dispose();
});

function setup(name: 'lenet5' | 'lenet5-modern', epochs: number, seed = 0) {
  ds.manualSeed(seed);
  const model = models.create(name);
  const loader = new data.DataLoader(subset, { batchSize: 64, shuffle: true, generator: new ds.Generator(seed) });
  const r = train.RECIPES[name];
  const optimizer = train.makeOptimizer(r.optimizer, model.parameters(), r);
  const scheduler = new optim.OneCycleLR(optimizer, { maxLr: r.lr, epochs, stepsPerEpoch: loader.length });
  return { model, loader, optimizer, scheduler };
}

test('the loss falls and the accuracy rises over epochs; onStep sees every step', async () => {
  const { model, loader, optimizer, scheduler } = setup('lenet5-modern', 3);
  const steps: ds.train.StepInfo[] = [];
  const results: ds.train.EpochResult[] = [];
  for (let e = 0; e < 3; e++) results.push(await train.trainEpoch(model, loader, { optimizer, scheduler, readEvery: 4, onStep: (s) => steps.push(s) }));
  model.dispose();
  expect(results.map((r) => r.samples)).toEqual([1024, 1024, 1024]);
  expect(results.map((r) => r.steps)).toEqual([16, 16, 16]);
  expect(results[1].loss).toBeLessThan(results[0].loss);
  expect(results[2].loss).toBeLessThan(results[1].loss);
  expect(results[0].loss).toBeLessThan(2.5);
  expect(results[2].accuracy).toBeGreaterThan(results[0].accuracy);
  expect(results[2].accuracy).toBeGreaterThan(0.8);
  expect(steps).toHaveLength(48);
  expect(steps.slice(0, 16).map((s) => s.step)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  expect(steps.every((s) => s.steps === 16)).toBe(true);
  // Pipelined reads: the figures of step 4 arrive at step 8; nothing is known before.
  expect(steps.slice(0, 7).every((s) => Number.isNaN(s.loss))).toBe(true);
  expect(steps[7].samples).toBe(4 * 64);
  expect(steps[7].loss).toBeGreaterThan(0);
  // The last step of an epoch reports the whole epoch.
  expect(steps[15].samples).toBe(1024);
  expect(steps[15].loss).toBeCloseTo(results[0].loss, 6);
  expect(optimizer.paramGroups[0].lr).toBeLessThan(1e-5); // the one-cycle schedule ran to its end (3·16 steps)
});

test('evaluate: the same figures twice, no gradients, the mode restored', async () => {
  const { model } = setup('lenet5-modern', 1);
  const loader = new data.DataLoader(testSubset, { batchSize: 128 });
  model.train();
  const a = await train.evaluate(model, loader);
  const b = await train.evaluate(model, loader, { readEvery: 1 });
  expect(model.training).toBe(true);
  model.eval();
  await train.evaluate(model, loader);
  expect(model.training).toBe(false);
  expect(a.samples).toBe(500);
  expect(a.steps).toBe(4);
  expect(b.loss).toBe(a.loss);
  expect(b.accuracy).toBe(a.accuracy);
  expect(a.accuracy).toBeGreaterThanOrEqual(0);
  expect(a.loss).toBeGreaterThan(1.5); // untrained: about ln 10
  expect(model.parameters().every((p) => p.grad === null || p.grad === undefined)).toBe(true);
  model.dispose();
});

test('no tensor leaks across epochs (training and evaluation)', async () => {
  const { model, loader, optimizer, scheduler } = setup('lenet5-modern', 3, 1);
  const testLoader = new data.DataLoader(testSubset, { batchSize: 250 });
  await train.trainEpoch(model, loader, { optimizer, scheduler }); // creates gradients and optimizer state
  await train.evaluate(model, testLoader);
  const after1 = await settledMemory();
  await train.trainEpoch(model, loader, { optimizer, scheduler });
  await train.evaluate(model, testLoader);
  const after2 = await settledMemory();
  await train.trainEpoch(model, loader, { optimizer, scheduler });
  const after3 = await settledMemory();
  for (const later of [after2, after3]) {
    expect(later.tensors).toBe(after1.tensors);
    expect(later.bytes).toBe(after1.bytes);
  }
  model.dispose();
});

test('an error mid-epoch leaves no tensors behind', async () => {
  const { model, loader, optimizer } = setup('lenet5-modern', 1, 2);
  await train.trainEpoch(model, loader, { optimizer, readEvery: 3 }); // warm: gradients and state exist
  const before = (await settledMemory()).tensors;
  let calls = 0;
  await expect(
    train.trainEpoch(model, loader, {
      optimizer,
      readEvery: 3,
      onStep: () => {
        if (++calls === 7) throw new Error('stop here');
      },
    }),
  ).rejects.toThrow('stop here');
  await new Promise((r) => setTimeout(r, 50)); // the abandoned read settles
  expect((await settledMemory()).tensors).toBe(before);
  model.dispose();
});

test('fit: a history per epoch, with test figures; the classic network (MAP loss) too', async () => {
  const { model, loader, optimizer, scheduler } = setup('lenet5', 2);
  const testLoader = new data.DataLoader(testSubset, { batchSize: 250 });
  const ends: number[] = [];
  const history = await train.fit(model, loader, { epochs: 2, optimizer, scheduler, testLoader, onEpochEnd: (r) => ends.push(r.epoch) });
  model.dispose();
  expect(ends).toEqual([1, 2]);
  expect(history.map((r) => r.epoch)).toEqual([1, 2]);
  for (const r of history) {
    for (const k of ['trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'seconds'] as const) expect(Number.isFinite(r[k])).toBe(true);
  }
  // The classic network starts slowly (RBF distances, loss ≈ 75): 32 steps only show the loss falling.
  expect(history[1].trainLoss).toBeLessThan(history[0].trainLoss);
  expect(history[1].testLoss).toBeLessThan(history[0].testLoss);
});

test('argument checks', async () => {
  const { model, loader, optimizer } = setup('lenet5-modern', 1);
  await expect(train.trainEpoch({} as never, loader, { optimizer })).rejects.toThrow(/trainEpoch: model must be a Classifier/);
  await expect(train.trainEpoch(model, loader, {} as never)).rejects.toThrow(/trainEpoch: options.optimizer must be an Optimizer/);
  await expect(train.trainEpoch(model, loader, { optimizer, readEvery: 0 })).rejects.toThrow(/readEvery must be a positive integer/);
  await expect(train.evaluate(model, [] as never)).rejects.toThrow(/evaluate: loader must be async-iterable/);
  await expect(train.fit(model, loader, { optimizer, epochs: 0 })).rejects.toThrow(/fit: epochs must be a positive integer/);
  const bad = { length: 1, async *[Symbol.asyncIterator]() { yield [ds.zeros([1, 1, 32, 32])]; } };
  await expect(train.evaluate(model, bad as never)).rejects.toThrow(/\[x, y\] batches/);
  expect(() => train.makeOptimizer('lion' as never, model.parameters(), { lr: 1 })).toThrow(/unknown optimizer 'lion'/);
  expect(train.makeOptimizer('sgd', model.parameters(), { lr: 0.1 })).toBeInstanceOf(optim.SGD);
  expect(train.makeOptimizer('adam', model.parameters(), { lr: 0.1 })).toBeInstanceOf(optim.Adam);
  model.dispose();
});

test('the recipes: one per model, with their targets', () => {
  expect(Object.keys(train.RECIPES).sort()).toEqual([...models.MODEL_NAMES].sort());
  expect(train.RECIPES['lenet5-modern']).toEqual(expect.objectContaining({ epochs: 12, batchSize: 64, optimizer: 'adamw', lr: 4e-3, weightDecay: 1e-2, target: 0.98 }));
  expect(train.RECIPES.lenet5).toEqual(expect.objectContaining({ epochs: 10, batchSize: 64, optimizer: 'adamw', lr: 8e-3, weightDecay: 0, target: 0.97 }));
});
