/**
 * @jest-environment ./test/io/onnx/ort-environment.js
 */
// Every zoo model through ONNX: exported and run by onnxruntime-node (CPU), compared with deepscope on the
// same weights and inputs; imported back and exported again. Widths and inputs are reduced so the
// suite stays fast; the graphs (ops, attributes, topology) are those of the full models.
import * as ds from '../../../src';
import { expectRoundTrip, roundTrip, warmStatistics } from './helpers';

const { models } = ds;
jest.setTimeout(120_000);

type Case = [string, () => ds.nn.Module, number[]];

const CASES: Case[] = [
  ['lenet5', () => models.lenet5() as unknown as ds.nn.Module, [1, 32, 32]],
  ['lenet5 modern', () => models.lenet5({ modern: true }) as unknown as ds.nn.Module, [1, 32, 32]],
  ['alexnet', () => models.alexnet({ widthMultiplier: 1 / 16, numClasses: 5 }), [3, 224, 224]],
  ['alexnet paper (two towers, LRN)', () => models.alexnet({ paper: true, widthMultiplier: 1 / 16, numClasses: 5 }), [3, 227, 227]],
  ['vgg16', () => models.vgg16({ widthMultiplier: 1 / 16, hidden: 32 }), [3, 224, 224]],
  ['vgg11_bn', () => models.vgg11_bn({ widthMultiplier: 1 / 16, hidden: 32, numClasses: 10 }), [3, 224, 224]],
  ['googlenet', () => models.googlenet({ numClasses: 5 }), [3, 64, 64]],
  ['googlenet transformInput', () => models.googlenet({ numClasses: 5, transformInput: true }), [3, 64, 64]],
  ['resnet18', () => models.resnet18({ numClasses: 10, widths: [8, 16, 16, 32] } as never), [3, 64, 64]],
  ['resnet50', () => models.resnet50({ numClasses: 10, widths: [8, 16, 16, 32] } as never), [3, 64, 64]],
  ['resnet50 paper (stride on the 1x1)', () => models.resnet50({ paper: true, numClasses: 4, widths: [16, 32, 64, 128] } as never), [3, 64, 64]],
  ['resnext101_32x8d', () => models.resnext101_32x8d({ widths: [64, 16, 16, 16], numClasses: 5 } as never), [3, 64, 64]],
  ['resnet20 (CIFAR, shortcut A)', () => models.resnet20(), [3, 32, 32]],
  ['densenet', () => new models.DenseNet({ growthRate: 8, blockConfig: [2, 2, 2], numInitFeatures: 16, numClasses: 10 }), [3, 64, 64]],
  ['highway MLP', () => models.highwayMLP({ depth: 5, width: 16, carryGate: true }), [1, 28, 28]],
  ['diracnet18', () => models.diracnet18({ widths: [8, 16, 16, 32], numClasses: 5 }), [3, 64, 64]],
  ['randwire', () => models.randwire({ channels: 8, nodes: 12, numClasses: 10, headChannels: 16 }), [3, 64, 64]],
  ['simpnet', () => models.simpnet({ widths: Array(13).fill(6), numClasses: 5 }), [3, 32, 32]],
  ['vanilla CNN', () => models.vanillaCNN({ depth: 6, width: 8, inChannels: 3 }), [3, 32, 32]],
  ['input upsampling', () => models.withInputUpsampling(models.vanillaCNN({ depth: 3, width: 4 }), { scaleFactor: 2 }), [1, 16, 16]],
];

describe('zoo models through ONNX and onnxruntime-node', () => {
  test.each(CASES)('%s', async (_name, make, shape) => {
    ds.manualSeed(1);
    const model = make();
    try {
      const x = ds.randn([2, ...shape]);
      warmStatistics(model, ds.randn([4, ...shape]));
      const r = await roundTrip(model, x, ds.randn([3, ...shape]));
      expectRoundTrip(r);
    } finally {
      model.dispose();
    }
  });
});
