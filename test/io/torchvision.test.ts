/**
 * io.loadTorchvision against torchvision 0.14 itself (fixtures from scripts/torchvision-fixtures.py):
 * our models, loaded with torchvision's weights, give torchvision's float64 logits to a relative error
 * below 1e-4 (float32 accumulation over a few million multiply-adds loses ~1e-6 to 1e-5; a wrong layout,
 * a swapped name or a missed buffer gives errors of order 1); their state dicts have torchvision's names
 * and shapes; timm's and DataParallel's names map; every mismatch is named in one error.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ds from '../../src';
import { io, models } from '../../src';
import { SUMMARY_MODELS } from '../../src/cli/summary';
import { FIXTURES, OutputFixture, buildFixtureModel, fixture, hashedInput, hashedStateDict, relError } from './torchvision-helpers';

const TOL = 1e-4;
const outputs = fixture<Record<string, OutputFixture>>('outputs.json');
const tiny = fixture<{ options: ds.models.DenseNetOptions; input: number[]; output: number[]; numBatchesTracked: number }>('densenet-tiny.json');
const TINY_FILE = path.join(FIXTURES, 'densenet-tiny.safetensors');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-tv-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function logits(model: ds.nn.Module, inputShape: readonly number[]): Float32Array {
  return ds.noGrad(() =>
    ds.tidy(() => {
      const x = hashedInput(inputShape);
      return (model.call(x) as ds.Tensor).dataSync() as Float32Array;
    }),
  );
}

function tinyDenseNet(extra: Partial<ds.models.DenseNetOptions> = {}): ds.models.DenseNet {
  return new models.DenseNet({ ...tiny.options, ...extra }).eval();
}

describe("our models with torchvision's weights give torchvision's logits", () => {
  // The file path for all but one model (which goes through the state-dict path).
  for (const [id, fx] of Object.entries(outputs)) {
    const viaDict = id === 'vgg16-w0.125';
    test(`${id} (${viaDict ? 'state dict' : 'safetensors file'})`, async () => {
      const model = buildFixtureModel(id);
      const dict = hashedStateDict(fx.keys);
      try {
        let source: string | Map<string, ds.Tensor> = dict;
        if (!viaDict) {
          source = path.join(dir, `${id}.safetensors`);
          await io.writeSafetensors(source, dict);
        }
        const r = await io.loadTorchvision(model, source);
        const own = [...model.stateDict().keys()];
        expect(r.loaded).toEqual(own);
        expect(r.renamed).toEqual([]);
        // torchvision's GoogLeNet carries auxiliary classifiers; ours (no auxLogits) skips them.
        expect(r.ignored).toEqual(fx.keys.map(([k]) => k).filter((k) => !own.includes(k)));
        if (id === 'googlenet') expect(r.ignored.length).toBeGreaterThan(0);
        const y = logits(model, fx.input);
        expect(relError(y, fx.output)).toBeLessThan(TOL);
      } finally {
        ds.dispose([...dict.values()]);
        model.dispose();
      }
    });
  }

  test("a DenseNet with torchvision's own initialisation, saved by the fixture script (int64 num_batches_tracked)", async () => {
    const model = tinyDenseNet();
    try {
      const header = await io.readSafetensorsHeader(TINY_FILE);
      expect(header.entries.find((e) => e.name.endsWith('num_batches_tracked'))!.dtype).toBe('I64');
      const r = await io.loadTorchvision(model, TINY_FILE);
      expect(r.loaded.length).toBe(header.entries.length);
      expect(relError(logits(model, tiny.input), tiny.output)).toBeLessThan(TOL);
      expect(model.stateDict().get('features.norm0.num_batches_tracked')!.dataSync()[0]).toBe(tiny.numBatchesTracked);
    } finally {
      model.dispose();
    }
  });
});

describe('names map', () => {
  test("DataParallel's module. prefix and DenseNet's old norm.1/conv.2 names", async () => {
    const { tensors } = await io.readSafetensors(TINY_FILE);
    const old = new Map<string, ds.Tensor>();
    for (const [k, t] of tensors) old.set(`module.${k.replace(/(denselayer\d+\.(?:norm|conv))([12])\./, '$1.$2.')}`, t);
    expect([...old.keys()]).toContain('module.features.denseblock1.denselayer1.norm.1.weight');
    const model = tinyDenseNet();
    try {
      const r = await io.loadTorchvision(model, old);
      expect(r.renamed).toContainEqual(['module.features.denseblock1.denselayer1.norm.1.weight', 'features.denseblock1.denselayer1.norm1.weight']);
      expect(r.renamed).toContainEqual(['module.classifier.bias', 'classifier.bias']);
      expect(r.renamed.length).toBe(old.size);
      expect(relError(logits(model, tiny.input), tiny.output)).toBeLessThan(TOL);
    } finally {
      model.dispose();
      ds.dispose([...tensors.values()]);
    }
  });

  test("timm's VGG head (pre_logits.fc1/fc2 as convolutions, head.fc) loads into the classifier", async () => {
    const fx = outputs['vgg11_bn-w0.125'];
    const dict = hashedStateDict(fx.keys);
    const timm = new Map<string, ds.Tensor>();
    const views: ds.Tensor[] = [];
    for (const [k, t] of dict) {
      const m = /^classifier\.([036])\.(weight|bias)$/.exec(k);
      if (!m) timm.set(k, t);
      else {
        const name = { 0: 'pre_logits.fc1', 3: 'pre_logits.fc2', 6: 'head.fc' }[m[1] as '0' | '3' | '6'];
        let v = t;
        if (m[2] === 'weight' && m[1] !== '6') {
          const inC = m[1] === '0' ? t.shape[1] / 49 : t.shape[1];
          const k2 = m[1] === '0' ? 7 : 1;
          v = t.reshape([t.shape[0], inC, k2, k2]);
          views.push(v);
        }
        timm.set(`${name}.${m[2]}`, v);
      }
    }
    expect(timm.get('pre_logits.fc1.weight')!.shape).toEqual([64, 64, 7, 7]);
    const file = path.join(dir, 'timm-vgg.safetensors');
    await io.writeSafetensors(file, timm);
    const model = buildFixtureModel('vgg11_bn-w0.125');
    try {
      const r = await io.loadTorchvision(model, file);
      expect(r.renamed).toContainEqual(['pre_logits.fc1.weight', 'classifier.0.weight']);
      expect(r.renamed).toContainEqual(['head.fc.bias', 'classifier.6.bias']);
      expect(relError(logits(model, fx.input), fx.output)).toBeLessThan(TOL);
    } finally {
      model.dispose();
      ds.dispose([...dict.values(), ...views]);
    }
  });
});

describe("the zoo's state dicts have torchvision's names and shapes", () => {
  const keys = fixture<Record<string, [string, number[], string][]>>('keys.json');
  // Shapes need the full widths, whose initialisation takes minutes for all 24 models on a loaded
  // machine: every model under DEEPSCOPE_FULL=1, by default the five that build in about a second.
  // The names (and their order) depend on depth, not width: every model, at reduced widths, by default.
  const fast = new Set(['googlenet', 'resnet18', 'resnet50', 'resnext50_32x4d', 'densenet121']);
  const narrow = (name: string): ds.nn.Module => {
    const factory = (models as unknown as Record<string, (o: object) => ds.nn.Module>)[name];
    if (/^(alexnet|vgg)/.test(name)) return factory({ widthMultiplier: 0.125, hidden: 64 });
    if (/^(resnet|resnext|wide)/.test(name)) return factory({ widths: [16, 32, 64, 128] });
    if (name.startsWith('densenet')) return factory({ growthRate: 4, numInitFeatures: 8 });
    return models.googlenet({ auxLogits: true });
  };
  for (const [name, expected] of Object.entries(keys)) {
    const full = !!process.env.DEEPSCOPE_FULL || fast.has(name);
    test(`${name}: ${full ? 'names and shapes' : 'names (reduced widths)'}`, () => {
      const model = !full ? narrow(name) : name === 'googlenet' ? models.googlenet({ auxLogits: true }) : SUMMARY_MODELS[name].build();
      try {
        const ours = [...model.stateDict()].map(([k, t]) => [k, [...t.shape], t.dtype === 'int32' ? 'int64' : 'float32']);
        if (full) expect(ours).toEqual(expected);
        else expect(ours.map(([k, , d]) => [k, d])).toEqual(expected.map(([k, , d]) => [k, d]));
      } finally {
        model.dispose();
        // The initialisation still queued holds the weights: let it finish before the next model.
        ds.synchronize();
      }
    });
  }
});

describe('every mismatch is named in one error, and nothing is copied', () => {
  function snapshot(model: ds.nn.Module): Map<string, Float32Array | Int32Array> {
    return new Map([...model.stateDict()].map(([k, t]) => [k, t.dataSync()]));
  }

  test('another head: both shapes named, with the hint; exclude keeps the model\'s head', async () => {
    const model = tinyDenseNet({ numClasses: 5 });
    try {
      const before = snapshot(model);
      const err = await io.loadTorchvision(model, TINY_FILE).catch((e) => e);
      expect(err).toBeInstanceOf(io.TorchvisionLoadError);
      expect(err.message).toContain(TINY_FILE);
      expect(err.message).toContain("'classifier.weight' is [10, 32] in the checkpoint but [5, 32] in the model");
      expect(err.message).toContain("'classifier.bias' is [10] in the checkpoint but [5] in the model");
      expect(err.message).toContain('exclude');
      expect(err.shapeMismatches.map((m: io.TorchvisionShapeMismatch) => m.key)).toEqual(['classifier.weight', 'classifier.bias']);
      expect(snapshot(model)).toEqual(before);
      const r = await io.loadTorchvision(model, TINY_FILE, { exclude: ['classifier'] });
      expect(r.ignored).toEqual(['classifier.weight', 'classifier.bias']);
      expect(r.missingKeys).toEqual([]);
      expect(model.stateDict().get('classifier.bias')!.dataSync()).toEqual(before.get('classifier.bias'));
      expect(model.stateDict().get('features.conv0.weight')!.dataSync()).not.toEqual(before.get('features.conv0.weight'));
    } finally {
      model.dispose();
    }
  });

  test('missing and unexpected names: strict throws naming both, non-strict loads the rest and returns them', async () => {
    const { tensors } = await io.readSafetensors(TINY_FILE);
    const dict = new Map(tensors);
    dict.delete('features.norm5.running_var');
    dict.set('features.extra.weight', dict.get('classifier.bias')!);
    const model = tinyDenseNet();
    try {
      const before = snapshot(model);
      const err = await io.loadTorchvision(model, dict).catch((e) => e);
      expect(err.message).toMatch(/missing from the checkpoint: 'features\.norm5\.running_var'; not in the model: 'features\.extra\.weight'/);
      expect(err.missingKeys).toEqual(['features.norm5.running_var']);
      expect(err.unexpectedKeys).toEqual(['features.extra.weight']);
      expect(snapshot(model)).toEqual(before);
      const r = await io.loadTorchvision(model, dict, { strict: false });
      expect(r.missingKeys).toEqual(['features.norm5.running_var']);
      expect(r.unexpectedKeys).toEqual(['features.extra.weight']);
      expect(model.stateDict().get('features.norm5.running_var')!.dataSync()).toEqual(before.get('features.norm5.running_var'));
    } finally {
      model.dispose();
      ds.dispose([...tensors.values()]);
    }
  });

  test('another architecture: long lists are cut in the message but complete in the fields', async () => {
    const model = models.resnet18({ numClasses: 10, widths: [8, 8, 8, 8] });
    try {
      const err = await io.loadTorchvision(model, TINY_FILE).catch((e) => e);
      expect(err).toBeInstanceOf(io.TorchvisionLoadError);
      expect(err.message).toMatch(/and \d+ more \(see error\.missingKeys\)/);
      expect(err.message).toContain('another architecture');
      expect(err.missingKeys.length + err.shapeMismatches.length).toBe([...model.stateDict().keys()].filter((k) => !k.endsWith('num_batches_tracked')).length);
    } finally {
      model.dispose();
    }
  });

  test('bad arguments', async () => {
    const model = tinyDenseNet();
    try {
      await expect(io.loadTorchvision(model, 'resnet50.pth')).rejects.toThrow(/PyTorch pickle.*safetensors.*pytorch-checkpoints\.md/);
      await expect(io.loadTorchvision(model, path.join(dir, 'nope.safetensors'))).rejects.toThrow(/loadTorchvision: cannot open .*nope\.safetensors/);
      await expect(io.loadTorchvision({} as ds.nn.Module, TINY_FILE)).rejects.toThrow(TypeError);
      await expect(io.loadTorchvision(model, TINY_FILE, { strict: 'yes' as unknown as boolean })).rejects.toThrow(/'strict' must be a boolean/);
      await expect(io.loadTorchvision(model, TINY_FILE, { exclude: 'fc' as unknown as string[] })).rejects.toThrow(/'exclude' must be an array/);
      await expect(io.loadTorchvision(model, { 'classifier.bias': 3 } as unknown as Record<string, ds.Tensor>)).rejects.toThrow(
        /'classifier\.bias' must be a Tensor, got number/,
      );
      await expect(io.loadTorchvision(model, 42 as unknown as string)).rejects.toThrow(/source must be a file name or a state dict/);
    } finally {
      model.dispose();
    }
  });
});
