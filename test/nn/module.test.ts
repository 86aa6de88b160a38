/**
 * Module mechanics: registration and dotted names on a torchvision-like tree, counts, train/eval, device
 * moves, hooks, state dicts (round trip, strict and non-strict errors), printing, disposal and memory.
 */
import * as ds from '../../src';
import { nn, Tensor } from '../../src';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expectError, settledMemory } from '../helpers';

// A ResNet BasicBlock as torchvision writes it (attribute names included).
class BasicBlock extends nn.Module {
  declare conv1: nn.Conv2d;
  declare bn1: nn.BatchNorm2d;
  declare relu: nn.ReLU;
  declare conv2: nn.Conv2d;
  declare bn2: nn.BatchNorm2d;
  declare downsample: nn.Sequential | null;
  constructor(inp: number, out: number, stride = 1) {
    super();
    this.registerModule('conv1', new nn.Conv2d(inp, out, 3, { stride, padding: 1, bias: false }));
    this.registerModule('bn1', new nn.BatchNorm2d(out));
    this.registerModule('relu', new nn.ReLU());
    this.registerModule('conv2', new nn.Conv2d(out, out, 3, { padding: 1, bias: false }));
    this.registerModule('bn2', new nn.BatchNorm2d(out));
    this.registerModule(
      'downsample',
      stride !== 1 || inp !== out ? new nn.Sequential(new nn.Conv2d(inp, out, 1, { stride, bias: false }), new nn.BatchNorm2d(out)) : null,
    );
  }
  override forward(x: Tensor): Tensor {
    const y = this.bn2.call(this.conv2.call(this.relu.call(this.bn1.call(this.conv1.call(x)))));
    return this.relu.call(y.add(this.downsample ? this.downsample.call(x) : x));
  }
}

// A two-stage ResNet with torchvision's attribute names.
class MiniResNet extends nn.Module {
  declare conv1: nn.Conv2d;
  declare bn1: nn.BatchNorm2d;
  declare relu: nn.ReLU;
  declare maxpool: nn.MaxPool2d;
  declare layer1: nn.Sequential;
  declare layer2: nn.Sequential;
  declare avgpool: nn.AdaptiveAvgPool2d;
  declare fc: nn.Linear;
  constructor(numClasses = 5) {
    super();
    this.registerModule('conv1', new nn.Conv2d(3, 4, 3, { stride: 1, padding: 1, bias: false }));
    this.registerModule('bn1', new nn.BatchNorm2d(4));
    this.registerModule('relu', new nn.ReLU());
    this.registerModule('maxpool', new nn.MaxPool2d(3, { stride: 2, padding: 1 }));
    this.registerModule('layer1', new nn.Sequential(new BasicBlock(4, 4), new BasicBlock(4, 4)));
    this.registerModule('layer2', new nn.Sequential(new BasicBlock(4, 8, 2)));
    this.registerModule('avgpool', new nn.AdaptiveAvgPool2d(1));
    this.registerModule('fc', new nn.Linear(8, numClasses));
  }
  override forward(x: Tensor): Tensor {
    let y = this.maxpool.call(this.relu.call(this.bn1.call(this.conv1.call(x))) as Tensor) as Tensor;
    y = this.layer2.call(this.layer1.call(y));
    return this.fc.call(ds.flatten(this.avgpool.call(y), 1));
  }
}

const blockParams = (p: string, down: boolean) => [
  `${p}.conv1.weight`,
  `${p}.bn1.weight`,
  `${p}.bn1.bias`,
  `${p}.conv2.weight`,
  `${p}.bn2.weight`,
  `${p}.bn2.bias`,
  ...(down ? [`${p}.downsample.0.weight`, `${p}.downsample.1.weight`, `${p}.downsample.1.bias`] : []),
];
const bnState = (p: string) => [`${p}.weight`, `${p}.bias`, `${p}.running_mean`, `${p}.running_var`, `${p}.num_batches_tracked`];
const blockState = (p: string, down: boolean) => [
  `${p}.conv1.weight`,
  ...bnState(`${p}.bn1`),
  `${p}.conv2.weight`,
  ...bnState(`${p}.bn2`),
  ...(down ? [`${p}.downsample.0.weight`, ...bnState(`${p}.downsample.1`)] : []),
];

// Every test disposes what it builds; this catches leaks across the file.
let startTensors = 0;
beforeAll(async () => {
  startTensors = (await settledMemory()).tensors;
});
afterAll(async () => {
  expect((await settledMemory()).tensors).toBe(startTensors);
});

describe('names and traversal', () => {
  test('parameters, buffers and state dict carry torchvision dotted names in PyTorch order', () => {
    const m = new MiniResNet();
    const params = m.namedParameters().map(([n]) => n);
    expect(params).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      ...blockParams('layer1.0', false),
      ...blockParams('layer1.1', false),
      ...blockParams('layer2.0', true),
      'fc.weight',
      'fc.bias',
    ]);
    const buffers = m.namedBuffers().map(([n]) => n);
    expect(buffers.slice(0, 3)).toEqual(['bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked']);
    expect(buffers).toContain('layer1.0.bn1.running_mean');
    expect(buffers).toContain('layer2.0.downsample.1.num_batches_tracked');
    expect(buffers).toHaveLength(3 * (1 + 2 + 2 + 3));
    const sd = m.stateDict();
    expect([...sd.keys()]).toEqual([
      'conv1.weight',
      ...bnState('bn1'),
      ...blockState('layer1.0', false),
      ...blockState('layer1.1', false),
      ...blockState('layer2.0', true),
      'fc.weight',
      'fc.bias',
    ]);
    expect(sd.get('bn1.num_batches_tracked')!.dtype).toBe('int32');
    expect(sd.get('bn1.num_batches_tracked')!.shape).toEqual([]);
    // The values are the module's own tensors.
    expect(sd.get('fc.weight')).toBe(m.fc.weight);
    expect(sd.get('layer1.0.bn1.running_mean')).toBe((m.layer1.at(0) as BasicBlock).bn1.running_mean);
    m.dispose();
  });

  test('modules, children, getSubmodule', () => {
    const m = new MiniResNet();
    expect(m.namedChildren().map(([n]) => n)).toEqual(['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'avgpool', 'fc']);
    expect(m.children()).toHaveLength(8);
    const names = m.namedModules().map(([n]) => n);
    expect(names[0]).toBe('');
    expect(names.slice(1, 6)).toEqual(['conv1', 'bn1', 'relu', 'maxpool', 'layer1']);
    expect(names).toContain('layer1.0.conv1');
    expect(names).toContain('layer2.0.downsample.1');
    expect(m.modules()[0]).toBe(m);
    expect(m.getSubmodule('layer2.0.downsample.0')).toBeInstanceOf(nn.Conv2d);
    expect(m.getSubmodule('layer1')).toBe(m.layer1);
    expect(m.getSubmodule('')).toBe(m);
    expectError(() => m.getSubmodule('layer1.7'), RangeError, "'layer1' (Sequential) has no child '7'");
    m.dispose();
  });

  test('counts: numParameters, trainableOnly after freezing, shared tensors once', () => {
    const m = new MiniResNet();
    const conv = (ci: number, co: number, k: number) => ci * co * k * k;
    const bn = (c: number) => 2 * c;
    const block = (i: number, o: number, down: boolean) => conv(i, o, 3) + bn(o) + conv(o, o, 3) + bn(o) + (down ? conv(i, o, 1) + bn(o) : 0);
    const expected = conv(3, 4, 3) + bn(4) + 2 * block(4, 4, false) + block(4, 8, true) + 8 * 5 + 5;
    expect(m.numParameters()).toBe(expected);
    expect(m.parameters().reduce((s, p) => s + p.size, 0)).toBe(expected);
    m.layer1.requiresGrad_(false);
    expect(m.numParameters({ trainableOnly: true })).toBe(expected - 2 * block(4, 4, false));
    expect(m.numParameters()).toBe(expected);
    m.requiresGrad_(true);
    expect(m.numParameters({ trainableOnly: true })).toBe(expected);
    m.dispose();

    // A layer used twice (weight tying): its parameters count once; the state dict lists both names.
    const shared = new nn.Linear(3, 3);
    const tied = new nn.Sequential(shared, new nn.ReLU(), shared);
    expect(tied.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias']);
    expect(tied.numParameters()).toBe(12);
    const sd = tied.stateDict();
    expect([...sd.keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(sd.get('2.weight')).toBe(sd.get('0.weight'));
    tied.dispose();
  });

  test('AlexNet-style Sequential names: features.0.weight', () => {
    class Tiny extends nn.Module {
      declare features: nn.Sequential;
      declare classifier: nn.Sequential;
      constructor() {
        super();
        this.registerModule('features', new nn.Sequential(new nn.Conv2d(3, 4, 3), new nn.ReLU(), new nn.Conv2d(4, 4, 3)));
        this.registerModule('classifier', new nn.Sequential({ drop: new nn.Dropout(), fc: new nn.Linear(4, 2) }));
      }
    }
    const m = new Tiny();
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      'features.0.weight',
      'features.0.bias',
      'features.2.weight',
      'features.2.bias',
      'classifier.fc.weight',
      'classifier.fc.bias',
    ]);
    m.dispose();
  });
});

describe('registration', () => {
  test('accessors read and write the registry; assignments are checked', () => {
    class Net extends nn.Module {
      declare scale: Tensor;
      declare stats: Tensor | null;
      declare head: nn.Module;
      constructor() {
        super();
        this.registerParameter('scale', ds.ones([2]));
        this.registerBuffer('stats', ds.zeros([2]), { persistent: false });
        this.registerModule('head', new nn.Linear(2, 2));
      }
    }
    const m = new Net();
    expect(m.scale.requiresGrad).toBe(true);
    const old = m.scale;
    const replacement = ds.full([2], 3);
    m.scale = replacement;
    expect(m.namedParameters()[0]).toEqual(['scale', replacement]);
    expect(replacement.requiresGrad).toBe(true);
    old.dispose();
    m.head.dispose();
    m.head = new nn.Identity();
    expect(m.namedChildren().map(([, c]) => c.constructor.name)).toEqual(['Identity']);
    expect(m.numParameters()).toBe(2);
    // Non-persistent buffers move and are disposed with the module, but are not in the state dict.
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['stats']);
    expect([...m.stateDict().keys()]).toEqual(['scale']);
    expectError(() => ((m as unknown as { scale: unknown }).scale = 3), TypeError, 'a parameter must be a Tensor');
    expectError(() => ((m as unknown as { head: unknown }).head = ds), TypeError, 'a child module must be a Module');
    ds.tidy(() => {
      expectError(() => m.registerBuffer('scale', ds.zeros([1])), TypeError, "already has a parameter named 'scale'");
      expectError(() => m.registerParameter('train', ds.zeros([1])), TypeError, "already has a property 'train'");
      expectError(() => m.registerModule('a.b', new nn.ReLU()), TypeError, "without '.'");
      expectError(() => m.registerParameter('i', ds.zeros([1], { dtype: 'int32' })), TypeError, 'must be float32');
    });
    const x = ds.ones([2], { requiresGrad: true });
    const y = x.mul(2);
    expectError(() => m.registerParameter('nonLeaf', y), TypeError, 'must be a leaf tensor');
    ds.dispose([x, y]);
    m.dispose();
  });

  test('plain (non-declare) field declarations in the registering class work; pre-hooks can pass several arguments', () => {
    class Affine extends nn.Module {
      a!: Tensor;
      inner: nn.Linear | null = null;
      constructor() {
        super();
        this.registerParameter('a', ds.full([1], 2));
        this.registerModule('inner', new nn.Linear(1, 1));
      }
      override forward(x: Tensor, y: Tensor): Tensor {
        return x.mul(this.a).add(y);
      }
    }
    const m = new Affine();
    expect(m.a.shape).toEqual([1]);
    expect(m.inner).toBeInstanceOf(nn.Linear);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['a', 'inner.weight', 'inner.bias']);
    m.registerForwardPreHook((_m, [x]) => [x, ds.full([1], 10)]);
    ds.tidy(() => expect(m.call(ds.full([1], 3), ds.full([1], 0)).itemSync()).toBe(16));
    m.dispose();
  });

  test('parameters survive tidy scopes; dispose() frees them all', () => {
    ds.synchronize();
    const before = ds.memory().cpu;
    const m = ds.tidy(() => new MiniResNet());
    const n = m.parameters().length + m.buffers().length;
    expect(m.parameters().every((p) => !p.isDisposed && p.isLeaf && p.requiresGrad && p.dtype === 'float32')).toBe(true);
    expect(ds.memory().cpu.tensors).toBe(before.tensors + n);
    m.dispose();
    ds.synchronize();
    expect(ds.memory().cpu.tensors).toBe(before.tensors);
    expect(ds.memory().cpu.bytes).toBe(before.bytes);
    expect(m.fc.weight.isDisposed).toBe(true);
  });
});

describe('modes, devices, grads', () => {
  test('train/eval propagate to every descendant; eval changes batch norm and dropout behaviour', () => {
    const m = new MiniResNet();
    expect(m.modules().every((c) => c.training)).toBe(true);
    expect(m.eval()).toBe(m);
    expect(m.modules().every((c) => !c.training)).toBe(true);
    m.train();
    expect(m.modules().every((c) => c.training)).toBe(true);
    m.layer1.train(false);
    expect(m.training).toBe(true);
    expect(m.layer1.modules().every((c) => !c.training)).toBe(true);
    expect(m.layer2.training).toBe(true);
    expectError(() => m.train('yes' as unknown as boolean), TypeError, "'mode' must be a boolean");
    m.dispose();

    const drop = new nn.Dropout(0.5);
    ds.tidy(() => {
      const x = ds.ones([1000]);
      expect(drop.call(x)).not.toBe(x);
      drop.eval();
      expect(drop.call(x)).toBe(x);
    });
  });

  test("to('cpu') keeps tensors, requiresGrad and returns this; unknown devices are refused", () => {
    const m = new MiniResNet();
    m.fc.bias!.requiresGrad = false;
    const before = m.parameters();
    expect(m.to('cpu')).toBe(m);
    m.parameters().forEach((p, i) => expect(p).toBe(before[i]));
    expect(m.fc.bias!.requiresGrad).toBe(false);
    expect(m.fc.weight.requiresGrad).toBe(true);
    expect(m.buffers().every((b) => b.device === ds.CPU)).toBe(true);
    expectError(() => m.to('tpu' as ds.DeviceLike), TypeError, 'unknown device');
    m.dispose();
  });

  (ds.cuda.available() ? test : test.skip)("to('cuda') moves parameters, buffers and grads, keeping requiresGrad and sharing", () => {
    const shared = new nn.Linear(3, 3);
    const m = new nn.Sequential(shared, new nn.BatchNorm1d(3), shared);
    m.at(1).requiresGrad_(false);
    ds.tidy(() => m.call(ds.randn([4, 3])).sum().backward());
    m.to('cuda');
    expect(m.parameters().every((p) => p.device.type === 'cuda' && p.grad?.device.type !== 'cpu')).toBe(true);
    expect(m.buffers().every((b) => b.device.type === 'cuda')).toBe(true);
    expect((m.at(0) as nn.Linear).weight).toBe((m.at(2) as nn.Linear).weight);
    expect((m.at(1) as nn.BatchNorm1d).weight!.requiresGrad).toBe(false);
    m.to('cpu');
    m.dispose();
  });

  test('zeroGrad (to null, or zeros in place), requiresGrad_, apply', () => {
    const m = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 2));
    const x = ds.randn([5, 3]);
    ds.tidy(() => m.call(x).sum().backward());
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad({ setToNone: false });
    expect(m.parameters().every((p) => p.grad!.dataSync().every((v) => v === 0))).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    expect(m.requiresGrad_(false).parameters().every((p) => !p.requiresGrad)).toBe(true);
    m.requiresGrad_();
    const visited: string[] = [];
    expect(m.apply((c) => visited.push(c.constructor.name))).toBe(m);
    expect(visited).toEqual(['Linear', 'Tanh', 'Linear', 'Sequential']);
    m.apply((c) => {
      if (c instanceof nn.Linear) nn.init.zeros_(c.bias!);
    });
    expect([...(m.at(0) as nn.Linear).bias!.dataSync()]).toEqual([0, 0, 0, 0]);
    x.dispose();
    m.dispose();
  });
});

describe('hooks', () => {
  test('forward hooks read and replace outputs, pre-hooks replace inputs, handles remove them', () => {
    ds.manualSeed(3);
    const m = new MiniResNet();
    m.eval();
    const x = ds.randn([2, 3, 8, 8]);
    const seen: number[][] = [];
    // A hook on an inner module fires when the outer model is called (Grad-CAM's use).
    const h1 = m.getSubmodule('layer2').registerForwardHook((mod, inputs, out) => {
      expect(mod).toBe(m.layer2);
      expect((inputs[0] as Tensor).shape).toEqual([2, 4, 4, 4]);
      seen.push([...(out as Tensor).shape]);
    });
    const base = ds.tidy(() => m.call(x));
    expect(seen).toEqual([[2, 8, 2, 2]]);
    // Replacing the output of the head.
    const h2 = m.fc.registerForwardHook((_m, _in, out) => (out as Tensor).mul(0));
    ds.tidy(() => expect([...m.call(x).dataSync()].every((v) => v === 0)).toBe(true));
    h2.remove();
    h2.remove(); // idempotent
    // A pre-hook replacing the input (a single value is the sole argument).
    const h3 = m.registerForwardPreHook((_m, [inp]) => (inp as Tensor).mul(0));
    const h4 = m.registerForwardPreHook((_m, args) => {
      expect((args[0] as Tensor).dataSync().every((v) => v === 0)).toBe(true);
      return undefined;
    });
    const zeroIn = ds.tidy(() => m.call(x));
    const expectedZero = ds.tidy(() => m.forward(ds.zeros([2, 3, 8, 8])));
    expect([...zeroIn.dataSync()]).toEqual([...expectedZero.dataSync()]);
    h3.remove();
    h4.remove();
    // forward() itself skips the model's own hooks; call() runs them; after removal nothing fires.
    const hits: string[] = [];
    const h5 = m.registerForwardHook(() => void hits.push('outer'));
    ds.tidy(() => void m.forward(x));
    expect(hits).toEqual([]);
    ds.tidy(() => void m.call(x));
    expect(hits).toEqual(['outer']);
    h5.remove();
    h1.remove();
    const again = ds.tidy(() => m.call(x));
    // h1 fired on every run of layer2 while registered: three call()s, two forward()s of the model.
    expect(seen).toHaveLength(6);
    expect([...again.dataSync()]).toEqual([...base.dataSync()]);
    expectError(() => m.registerForwardHook(3 as unknown as nn.ForwardHook), TypeError, 'hook must be a function');
    ds.dispose([x, base, zeroIn, expectedZero, again]);
    m.dispose();
  });
});

describe('state dict', () => {
  test('round trip: a model built from another seed takes the values and computes the same outputs', () => {
    ds.manualSeed(1);
    const a = new MiniResNet();
    ds.tidy(() => void a.call(ds.randn([4, 3, 8, 8]))); // move the running statistics off their initial values
    ds.manualSeed(2);
    const b = new MiniResNet();
    const differs = ds.tidy(() => [...a.fc.weight.dataSync()].some((v, i) => v !== b.fc.weight.dataSync()[i]));
    expect(differs).toBe(true);
    const sd = a.stateDict();
    expect(b.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const sdb = b.stateDict();
    for (const [k, t] of sd) expect([k, [...sdb.get(k)!.dataSync()]]).toEqual([k, [...t.dataSync()]]);
    expect(sdb.get('layer1.0.bn1.num_batches_tracked')!.dataSync()[0]).toBe(1);
    // Values were copied, not adopted: the two models share no tensor.
    for (const [k, t] of sd) expect([k, sdb.get(k) === t]).toEqual([k, false]);
    a.eval();
    b.eval();
    ds.tidy(() => {
      const x = ds.randn([2, 3, 8, 8]);
      expect([...b.call(x).dataSync()]).toEqual([...a.call(x).dataSync()]);
    });
    // A plain object works too, and so do clones disposed right after; the in-place copies keep the
    // parameter objects.
    const w = b.fc.weight;
    const clones = Object.fromEntries([...a.stateDict()].map(([k, t]) => [k, t.clone()]));
    b.loadStateDict(clones);
    ds.dispose(clones);
    expect(b.fc.weight).toBe(w);
    expect([...w.dataSync()]).toEqual([...a.fc.weight.dataSync()]);
    // Loading a module's own state dict into itself is a no-op.
    b.loadStateDict(b.stateDict());
    a.dispose();
    b.dispose();
  });

  test('strict loading names every missing, unexpected and mis-shaped key in one error and copies nothing', () => {
    const m = new MiniResNet(5);
    const other = new MiniResNet(7); // fc is [7, 8]
    ds.tidy(() => {
      const sd = other.stateDict();
      sd.delete('layer1.1.bn2.running_var');
      sd.delete('conv1.weight');
      sd.set('layer3.0.conv1.weight', ds.zeros([1]));
      const before = [...m.layer1.at(0).parameters()[0].dataSync()];
      let err: unknown;
      try {
        m.loadStateDict(sd);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(nn.StateDictError);
      const e = err as nn.StateDictError;
      expect(e.missingKeys).toEqual(['conv1.weight', 'layer1.1.bn2.running_var']);
      expect(e.unexpectedKeys).toEqual(['layer3.0.conv1.weight']);
      expect(e.shapeMismatches).toEqual([
        { key: 'fc.weight', expected: [5, 8], got: [7, 8] },
        { key: 'fc.bias', expected: [5], got: [7] },
      ]);
      expect(e.message).toMatch("missing keys: 'conv1.weight', 'layer1.1.bn2.running_var'");
      expect(e.message).toMatch("unexpected keys: 'layer3.0.conv1.weight'");
      expect(e.message).toMatch("'fc.weight' has shape [7, 8] in the dict but [5, 8] in the module");
      expect(e.message).toMatch("'fc.bias' has shape [7] in the dict but [5] in the module");
      // Nothing was copied.
      expect([...m.layer1.at(0).parameters()[0].dataSync()]).toEqual(before);

      // Non-strict: mis-shaped keys are still refused (and nothing is copied)...
      expect(() => m.loadStateDict(sd, { strict: false })).toThrow(nn.StateDictError);
      expect(() => m.loadStateDict(sd, { strict: false })).toThrow(/^loadStateDict: .*: size mismatch: 'fc.weight'/);
      expect([...m.layer1.at(0).parameters()[0].dataSync()]).toEqual(before);
      // ...and without them, missing and unexpected keys are reported and the rest is loaded.
      sd.delete('fc.weight');
      sd.delete('fc.bias');
      const res = m.loadStateDict(sd, { strict: false });
      expect(res.missingKeys).toEqual(['conv1.weight', 'layer1.1.bn2.running_var', 'fc.weight', 'fc.bias']);
      expect(res.unexpectedKeys).toEqual(['layer3.0.conv1.weight']);
      expect([...m.layer1.at(0).parameters()[0].dataSync()]).toEqual([...other.layer1.at(0).parameters()[0].dataSync()]);
    });
    expectError(() => m.loadStateDict(new Map([['fc.bias', 3 as unknown as Tensor]]), { strict: false }), TypeError, "'fc.bias' must be a Tensor");
    m.dispose();
    other.dispose();
  });
});

describe('with ds.io and ds.optim', () => {
  test('a safetensors round trip through io.save / io.loadInto, and an optimizer on parameters()', async () => {
    const file = path.join(os.tmpdir(), `deepscope-nn-${process.pid}.safetensors`);
    ds.manualSeed(5);
    const a = new MiniResNet();
    ds.tidy(() => void a.call(ds.randn([2, 3, 8, 8])));
    ds.manualSeed(6);
    const b = new MiniResNet();
    const before = (await settledMemory()).tensors;
    try {
      await ds.io.save(a, file);
      expect(await ds.io.loadInto(b, file)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    } finally {
      fs.rmSync(file, { force: true });
    }
    // Nothing allocated by stateDict(), loaded copies freed.
    expect((await settledMemory()).tensors).toBe(before);
    for (const [k, t] of a.stateDict()) expect([k, [...b.stateDict().get(k)!.dataSync()]]).toEqual([k, [...t.dataSync()]]);
    const opt = new ds.optim.SGD(b.parameters(), { lr: 0.1 });
    const w0 = [...b.fc.weight.dataSync()];
    ds.tidy(() => {
      b.call(ds.randn([2, 3, 8, 8])).square().mean().backward();
      opt.step();
    });
    expect([...b.fc.weight.dataSync()]).not.toEqual(w0);
    b.zeroGrad();
    a.dispose();
    b.dispose();
  });
});

describe('printing', () => {
  test("toString() prints the tree in PyTorch's repr format", () => {
    const m = new nn.Sequential(
      new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1, bias: false }),
      new nn.BatchNorm2d(8),
      new nn.ReLU(),
      new nn.Sequential({ pool: new nn.AdaptiveAvgPool2d(1), flat: new nn.Flatten() }),
      new nn.Linear(8, 10),
    );
    expect(m.toString()).toBe(
      [
        'Sequential(',
        '  (0): Conv2d(3, 8, kernelSize=(3, 3), stride=(2, 2), padding=(1, 1), bias=false)',
        '  (1): BatchNorm2d(8, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)',
        '  (2): ReLU()',
        '  (3): Sequential(',
        '    (pool): AdaptiveAvgPool2d(outputSize=1)',
        '    (flat): Flatten(startDim=1, endDim=-1)',
        '  )',
        '  (4): Linear(inFeatures=8, outFeatures=10, bias=true)',
        ')',
      ].join('\n'),
    );
    expect(String(new nn.MaxPool2d(3, { stride: 2 }))).toBe('MaxPool2d(kernelSize=3, stride=2, padding=0, dilation=1, ceilMode=false)');
    expect(String(new nn.Dropout(0.25))).toBe('Dropout(p=0.25)');
    m.dispose();
  });
});

describe('memory', () => {
  test('1,000 forward+backward steps of a small Sequential in tidy leave memory() as it was', () => {
    ds.manualSeed(0);
    const model = new nn.Sequential(
      new nn.Conv2d(2, 4, 3, { padding: 1 }),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Dropout(0.1),
      new nn.Flatten(),
      new nn.Linear(16, 3),
    );
    const x = ds.randn([2, 2, 4, 4]);
    ds.synchronize();
    const before = ds.memory().cpu;
    for (let step = 0; step < 1000; step++) {
      ds.tidy(() => {
        const loss = model.call(x).square().mean();
        loss.backward();
        ds.noGrad(() => {
          for (const p of model.parameters()) p.copy_(p.sub(p.grad!.mul(0.01)));
        });
        model.zeroGrad();
      });
    }
    ds.synchronize();
    const after = ds.memory().cpu;
    expect(after.tensors).toBe(before.tensors);
    expect(after.storages).toBe(before.storages);
    expect(after.bytes).toBe(before.bytes);
    expect((model.at(1) as nn.BatchNorm2d).num_batches_tracked!.dataSync()[0]).toBe(1000);
    x.dispose();
    model.dispose();
  });
});
