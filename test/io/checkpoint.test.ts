/**
 * Model, optimizer and checkpoint files. `nn.Module` is being written in parallel, so the model here is
 * a minimal stand-in with PyTorch's state dict semantics (stateDict returns the live tensors,
 * loadStateDict copies into them, strict checks the names).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ds from '../../src';
import { settledMemory } from '../helpers';

const { io, optim } = ds;
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-ckpt-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const tmp = (name: string) => path.join(dir, name);

class TinyModel implements ds.io.StateDictModule {
  readonly w: ds.Tensor;
  readonly b: ds.Tensor;
  readonly steps: ds.Tensor; // an int32 buffer
  lastLoad: { missing: string[]; unexpected: string[] } | null = null;
  constructor(seed: number) {
    this.w = ds.keep(ds.randn([3, 2], { requiresGrad: true, generator: new ds.Generator(seed) }));
    this.b = ds.keep(ds.zeros([2], { requiresGrad: true }));
    this.steps = ds.keep(ds.tensor(new Int32Array([seed])));
  }
  parameters(): ds.Tensor[] {
    return [this.w, this.b];
  }
  forward(x: ds.Tensor): ds.Tensor {
    return x.matmul(this.w).add(this.b);
  }
  stateDict(): Record<string, ds.Tensor> {
    return { 'fc.weight': this.w, 'fc.bias': this.b, steps: this.steps };
  }
  loadStateDict(dict: Map<string, ds.Tensor>, { strict = true }: { strict?: boolean } = {}) {
    const mine = this.stateDict();
    const missing = Object.keys(mine).filter((k) => !dict.has(k));
    const unexpected = [...dict.keys()].filter((k) => !(k in mine));
    if (strict && (missing.length || unexpected.length)) throw new Error(`loadStateDict: missing ${missing}, unexpected ${unexpected}`);
    ds.noGrad(() => {
      for (const [k, t] of dict) if (k in mine) mine[k].copy_(t);
    });
    return (this.lastLoad = { missing, unexpected });
  }
  dispose(): void {
    ds.dispose([this.w, this.b, this.steps, this.w.grad, this.b.grad]);
  }
}

const values = (m: TinyModel) => Object.values(m.stateDict()).map((t) => [...t.dataSync()]);

test('save / load / loadInto a model', async () => {
  const a = new TinyModel(1);
  const b = new TinyModel(2);
  const f = tmp('model.safetensors');
  await io.save(a, f, { metadata: { arch: 'tiny' } });
  const header = await io.readSafetensorsHeader(f);
  expect(header.metadata).toEqual({ arch: 'tiny' });
  expect(header.entries.map((e) => [e.name, e.dtype])).toEqual([['fc.weight', 'F32'], ['fc.bias', 'F32'], ['steps', 'I32']]);

  const loaded = await io.load(f);
  expect([...loaded.keys()]).toEqual(['fc.weight', 'fc.bias', 'steps']);
  ds.dispose([...loaded.values()]);

  const before = (await settledMemory()).tensors;
  const w = b.w;
  expect(values(b)).not.toEqual(values(a));
  const res = await io.loadInto(b, f);
  expect(res).toEqual({ missing: [], unexpected: [] });
  expect(values(b)).toEqual(values(a));
  expect(b.w).toBe(w); // copied in place
  expect((await settledMemory()).tensors).toBe(before); // the loaded copies were freed

  // strict is passed through
  await io.writeSafetensors(tmp('partial.safetensors'), { 'fc.bias': ds.keep(ds.ones([2])) });
  await expect(io.loadInto(b, tmp('partial.safetensors'))).rejects.toThrow(/missing fc.weight,steps/);
  const r2 = await io.loadInto(b, tmp('partial.safetensors'), { strict: false });
  expect(r2).toEqual({ missing: ['fc.weight', 'steps'], unexpected: [] });
  expect([...b.b.dataSync()]).toEqual([1, 1]);
  await expect(io.save({} as never, f)).rejects.toThrow(/save: module must have stateDict\(\) and loadStateDict\(\)/);
  a.dispose();
  b.dispose();
});

function train(m: TinyModel, opt: ds.optim.Optimizer, sched: ds.optim.LRScheduler | null, steps: number, from: number): void {
  for (let i = from; i < from + steps; i++) {
    ds.tidy(() => {
      const x = ds.randn([4, 3], { generator: new ds.Generator(100 + i) });
      opt.zeroGrad();
      m.forward(x).square().mean().backward();
      opt.step();
      sched?.step();
    });
  }
}

test('saveOptimizer / loadOptimizer: 2 steps, save, load into fresh objects, 2 steps = 4 steps straight', async () => {
  const straight = new TinyModel(3);
  const o1 = new optim.Adam(straight.parameters(), { lr: 0.01, amsgrad: true });
  train(straight, o1, null, 4, 0);

  const m = new TinyModel(3);
  const o2 = new optim.Adam(m.parameters(), { lr: 0.01, amsgrad: true });
  train(m, o2, null, 2, 0);
  await io.save(m, tmp('m.safetensors'));
  await io.saveOptimizer(o2, tmp('o.safetensors'), { metadata: { note: 'hi' } });
  const h = await io.readSafetensorsHeader(tmp('o.safetensors'));
  expect(h.entries.map((e) => e.name).sort()).toEqual(['state.0.expAvg', 'state.0.expAvgSq', 'state.0.maxExpAvgSq', 'state.1.expAvg', 'state.1.expAvgSq', 'state.1.maxExpAvgSq']);
  expect(JSON.parse(h.metadata['deepscope.optimizer']).scalars).toEqual({ 0: { step: 2 }, 1: { step: 2 } });

  const fresh = new TinyModel(4);
  const o3 = new optim.Adam(fresh.parameters(), { lr: 0.5 });
  await io.loadInto(fresh, tmp('m.safetensors'));
  const meta = await io.loadOptimizer(o3, tmp('o.safetensors'));
  expect(meta.note).toBe('hi');
  expect(o3.paramGroups[0].lr).toBe(0.01);
  expect(o3.paramGroups[0].amsgrad).toBe(true);
  train(fresh, o3, null, 2, 2);
  expect(values(fresh).slice(0, 2)).toEqual(values(straight).slice(0, 2));

  const sgd = new optim.SGD(fresh.parameters(), { lr: 0.1 });
  await expect(io.loadOptimizer(sgd, tmp('m.safetensors'))).rejects.toThrow(/loadOptimizer: .*m.safetensors: optimizer state: metadata 'deepscope.optimizer' is missing/);
  for (const o of [o1, o2, o3]) o.dispose();
  for (const x of [straight, m, fresh]) x.dispose();
});

test('saveCheckpoint / loadCheckpoint: model, optimizer and scheduler resume exactly', async () => {
  const mk = (m: TinyModel) => {
    const opt = new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
    return { opt, sched: new optim.OneCycleLR(opt, { maxLr: 0.2, totalSteps: 8, cycleMomentum: true }) };
  };
  const a = new TinyModel(5);
  const A = mk(a);
  train(a, A.opt, A.sched, 6, 0);

  const b = new TinyModel(5);
  const B = mk(b);
  train(b, B.opt, B.sched, 3, 0);
  const f = tmp('ckpt.safetensors');
  await io.saveCheckpoint(f, { model: b, optimizer: B.opt, scheduler: B.sched }, { metadata: { epoch: '3' } });

  const c = new TinyModel(6);
  const C = mk(c);
  const before = (await settledMemory()).tensors;
  const meta = await io.loadCheckpoint(f, { model: c, optimizer: C.opt, scheduler: C.sched });
  expect((await settledMemory()).tensors - before).toBe(2); // the two momentum buffers, nothing else
  expect(meta.epoch).toBe('3');
  expect(C.sched.lastEpoch).toBe(3);
  expect(C.opt.paramGroups[0].lr).toBe(B.opt.paramGroups[0].lr);
  train(c, C.opt, C.sched, 3, 3);
  expect(values(c)).toEqual(values(a));
  expect(C.sched.getLastLr()).toEqual(A.sched.getLastLr());
  expect(C.opt.paramGroups[0].momentum).toBe(A.opt.paramGroups[0].momentum);

  await expect(io.loadCheckpoint(tmp('model.safetensors'), { scheduler: C.sched })).rejects.toThrow(/no scheduler state in the file/);
  for (const x of [A, B, C]) x.opt.dispose();
  for (const x of [a, b, c]) x.dispose();
});
