/**
 * ResNet (He, Zhang, Ren & Sun, "Deep residual learning for image recognition", CVPR 2016), its plain
 * (no-shortcut) counterparts, and ResNeXt (Xie, Girshick, Dollár, Tu & He, "Aggregated residual
 * transformations for deep neural networks", CVPR 2017), built exactly as torchvision builds them so that
 * torchvision state dicts load one to one (`conv1.weight`, `layer1.0.bn1.running_mean`,
 * `layer2.0.downsample.0.weight`, `fc.bias`).
 *
 * ## Architecture (the paper's Table 1)
 * A stem (7×7/2 convolution to 64 channels, batch norm, ReLU, 3×3/2 max pool), four stages of residual
 * blocks at 64, 128, 256 and 512 "planes" (stages 2–4 halve the resolution in their first block), global
 * average pooling and a fully connected classifier. A basic block is two 3×3 convolutions (expansion 1);
 * a bottleneck block is 1×1 (reduce) → 3×3 → 1×1 (restore, expansion 4). Every convolution is followed by
 * batch norm and has no bias. Where a block changes the shape, its shortcut is the paper's option B: a 1×1
 * strided projection with batch norm (`downsample`); otherwise the identity.
 *
 * | network | blocks per stage | block | parameters (1000 classes) |
 * | --- | --- | --- | --- |
 * | resnet18 | 2, 2, 2, 2 | basic | 11,689,512 |
 * | resnet34 | 3, 4, 6, 3 | basic | 21,797,672 |
 * | resnet50 | 3, 4, 6, 3 | bottleneck | 25,557,032 |
 * | resnet101 | 3, 4, 23, 3 | bottleneck | 44,549,160 |
 * | resnet152 | 3, 8, 36, 3 | bottleneck | 60,192,808 |
 *
 * ## Stride placement
 * The paper (and Caffe's original release) downsample in a bottleneck's first 1×1 convolution; torchvision
 * ("ResNet v1.5") moves the stride to the 3×3, which is slightly more accurate. Both have the same
 * parameters; the default is torchvision's, `{ paper: true }` puts the stride on the 1×1.
 *
 * ## ResNeXt
 * The bottleneck's 3×3 becomes a grouped convolution with C groups (the cardinality) of d channels each
 * (the paper's template, Fig. 3(c)); in stage i (planes p = 64·2^i) the inner width is
 * `p · d/64 · C` and the output stays 4p. C = 1, d = 64 is ResNet; torchvision's `wide_resnet50_2` is
 * C = 1, d = 128. The paper's settings: 32×4d, 2×64d and 64×4d (at 50 and 101 layers; Tables 3–4),
 * and the "wider" ResNet-101 baseline 1×100d (Table 4).
 *
 * Initialisation follows torchvision: convolutions He-normal (fan-out, ReLU gain), batch norms weight 1 and
 * bias 0, the classifier PyTorch's default; `zeroInitResidual` zeroes the last batch norm of every block
 * so that each residual branch starts as zero and each block as the identity (Goyal et al. 2017).
 * @module
 */
import { Tensor } from '../tensor';
import { Generator } from '../random';
import { add, relu } from '../ops/elementwise';
import { argmax } from '../ops/reduce';
import { crossEntropy } from '../ops/loss';
import { zeros } from '../ops/creation';
import { cat } from '../ops/indexing';
import { maxPool2d, adaptiveAvgPool2d } from '../ops/pool';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { BatchNorm2d } from '../nn/layers/normalization';
import { MaxPool2d, AdaptiveAvgPool2d } from '../nn/layers/pooling';
import { Sequential } from '../nn/layers/container';
import { constant_, kaimingNormal_ } from '../nn/init';
import type { Classifier } from './lenet';

/** Options shared by the residual blocks. */
export interface BlockOptions {
  /** Stride of the block (2 in the first block of stages 2–4). Default 1. */
  stride?: number;
  /** The shortcut projection (a 1×1 strided conv + BN) when the block changes the shape; null: identity. */
  downsample?: Module | null;
  /** Groups of the 3×3 convolution (ResNeXt cardinality; bottleneck only). Default 1. */
  groups?: number;
  /** Channels per group of the 3×3 (ResNeXt's d; bottleneck only). Default 64. */
  baseWidth?: number;
  /** Bottleneck only: put the stride on the first 1×1 convolution, as the paper does. Default false (on the 3×3). */
  strideOn1x1?: boolean;
  /** Leave out the shortcut: a plain (no-shortcut) block for the paper's comparison. Default false. */
  plain?: boolean;
  /** Stream for the initial weights. */
  generator?: Generator;
}

/** The constructor of a residual block, as {@link ResNet} takes it. */
export interface BlockType {
  /** Output channels = planes · expansion. */
  readonly expansion: number;
  /** Builds one block. */
  new (inplanes: number, planes: number, options?: BlockOptions): BasicBlock | Bottleneck;
}

function conv3x3(inp: number, out: number, stride = 1, groups = 1, generator?: Generator): Conv2d {
  return new Conv2d(inp, out, 3, { stride, padding: 1, groups, bias: false, generator });
}

function conv1x1(inp: number, out: number, stride = 1, generator?: Generator): Conv2d {
  return new Conv2d(inp, out, 1, { stride, bias: false, generator });
}

/**
 * The basic block of ResNet-18/34: 3×3 conv → BN → ReLU → 3×3 conv → BN, plus the shortcut, then ReLU.
 * Parameters `conv1`, `bn1`, `conv2`, `bn2`, `downsample` as torchvision names them.
 */
export class BasicBlock extends Module {
  /** Output channels per plane: 1. */
  static readonly expansion = 1;
  /** First 3×3 convolution (carries the stride). */
  declare conv1: Conv2d;
  /** Its batch norm. */
  declare bn1: BatchNorm2d;
  /** Second 3×3 convolution. */
  declare conv2: Conv2d;
  /** Its batch norm (zeroed by `zeroInitResidual`). */
  declare bn2: BatchNorm2d;
  /** The shortcut projection, or null for the identity. */
  declare downsample: Module | null;
  /** Whether the block has no shortcut. */
  readonly plain: boolean;

  /** `inplanes` → `planes` channels; see {@link BlockOptions}. */
  constructor(inplanes: number, planes: number, options: BlockOptions = {}) {
    super();
    if ((options.groups ?? 1) !== 1 || (options.baseWidth ?? 64) !== 64) {
      throw new RangeError('BasicBlock: only groups 1 and baseWidth 64 are supported (ResNeXt needs Bottleneck)');
    }
    const g = options.generator;
    this.plain = options.plain ?? false;
    this.registerModule('conv1', conv3x3(inplanes, planes, options.stride ?? 1, 1, g));
    this.registerModule('bn1', new BatchNorm2d(planes));
    this.registerModule('conv2', conv3x3(planes, planes, 1, 1, g));
    this.registerModule('bn2', new BatchNorm2d(planes));
    this.registerModule('downsample', options.downsample ?? null);
  }

  /** [N, inplanes, H, W] → [N, planes, H/stride, W/stride]. */
  override forward(x: Tensor): Tensor {
    let out = relu(this.bn1.call(this.conv1.call(x)));
    out = this.bn2.call(this.conv2.call(out));
    if (this.plain) return relu(out);
    const identity = this.downsample ? this.downsample.call(x) : x;
    return relu(add(out, identity));
  }
}

/**
 * The bottleneck block of ResNet-50/101/152 and ResNeXt: 1×1 conv (reduce to `width`) → BN → ReLU →
 * 3×3 conv (`groups` groups) → BN → ReLU → 1×1 conv (to `planes·4`) → BN, plus the shortcut, then ReLU.
 * `width = planes · baseWidth/64 · groups`. The stride sits on the 3×3 (torchvision, v1.5) or, with
 * `strideOn1x1`, on the first 1×1 (the paper).
 */
export class Bottleneck extends Module {
  /** Output channels per plane: 4. */
  static readonly expansion = 4;
  /** 1×1 reduction. */
  declare conv1: Conv2d;
  /** Its batch norm. */
  declare bn1: BatchNorm2d;
  /** 3×3 (grouped) convolution. */
  declare conv2: Conv2d;
  /** Its batch norm. */
  declare bn2: BatchNorm2d;
  /** 1×1 expansion to `planes·4`. */
  declare conv3: Conv2d;
  /** Its batch norm (zeroed by `zeroInitResidual`). */
  declare bn3: BatchNorm2d;
  /** The shortcut projection, or null for the identity. */
  declare downsample: Module | null;
  /** Whether the block has no shortcut. */
  readonly plain: boolean;

  /** `inplanes` → `planes·4` channels; see {@link BlockOptions}. */
  constructor(inplanes: number, planes: number, options: BlockOptions = {}) {
    super();
    const g = options.generator;
    const stride = options.stride ?? 1;
    const groups = options.groups ?? 1;
    const width = Math.floor(planes * ((options.baseWidth ?? 64) / 64)) * groups;
    const on1x1 = options.strideOn1x1 ?? false;
    this.plain = options.plain ?? false;
    this.registerModule('conv1', conv1x1(inplanes, width, on1x1 ? stride : 1, g));
    this.registerModule('bn1', new BatchNorm2d(width));
    this.registerModule('conv2', conv3x3(width, width, on1x1 ? 1 : stride, groups, g));
    this.registerModule('bn2', new BatchNorm2d(width));
    this.registerModule('conv3', conv1x1(width, planes * Bottleneck.expansion, 1, g));
    this.registerModule('bn3', new BatchNorm2d(planes * Bottleneck.expansion));
    this.registerModule('downsample', options.downsample ?? null);
  }

  /** [N, inplanes, H, W] → [N, planes·4, H/stride, W/stride]. */
  override forward(x: Tensor): Tensor {
    let out = relu(this.bn1.call(this.conv1.call(x)));
    out = relu(this.bn2.call(this.conv2.call(out)));
    out = this.bn3.call(this.conv3.call(out));
    if (this.plain) return relu(out);
    const identity = this.downsample ? this.downsample.call(x) : x;
    return relu(add(out, identity));
  }
}

/** Options of the ResNet and ResNeXt constructors. */
export interface ResNetOptions {
  /** Classes of the classifier. Default 1000. */
  numClasses?: number;
  /** Zero the last BN of every block so that residual branches start at zero. Default false. */
  zeroInitResidual?: boolean;
  /** The paper's stride placement: on a bottleneck's first 1×1 instead of the 3×3. Default false. */
  paper?: boolean;
  /** Plain network: the same layers without shortcuts (the paper's comparison, Fig. 4). Default false. */
  plain?: boolean;
  /** ResNeXt cardinality C (groups of the 3×3). Default 1. */
  groups?: number;
  /** ResNeXt bottleneck width d per group. Default 64. */
  widthPerGroup?: number;
  /** Input channels (3 for RGB). Default 3. */
  inChannels?: number;
  /** Planes of the four stages (reduced widths for small experiments). Default [64, 128, 256, 512]. */
  widths?: readonly number[];
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

/**
 * A ResNet / ResNeXt / plain network of `block`s, `layers[i]` of them in stage i (see the module
 * description). Input [N, inChannels, H, W] with H, W ≥ 32 for the full depth of downsampling (any size
 * works down to the 1×1 the global pooling accepts); output logits [N, numClasses].
 * @example
 * const net = new models.ResNet(models.BasicBlock, [2, 2, 2, 2], { numClasses: 10 }); // resnet18
 */
export class ResNet extends Module implements Classifier {
  /** Stem 7×7/2 convolution. */
  declare conv1: Conv2d;
  /** Stem batch norm. */
  declare bn1: BatchNorm2d;
  /** Stem 3×3/2 max pool. */
  declare maxpool: MaxPool2d;
  /** Stage 1 (stride 1). */
  declare layer1: Sequential;
  /** Stage 2 (stride 2). */
  declare layer2: Sequential;
  /** Stage 3 (stride 2). */
  declare layer3: Sequential;
  /** Stage 4 (stride 2); its output is the usual Grad-CAM target. */
  declare layer4: Sequential;
  /** Global average pooling. */
  declare avgpool: AdaptiveAvgPool2d;
  /** The classifier. */
  declare fc: Linear;

  /** Builds the network; see {@link ResNetOptions}. */
  constructor(
    /** The block class ({@link BasicBlock} or {@link Bottleneck}). */ readonly block: BlockType,
    /** Blocks per stage (four numbers). */ readonly layers: readonly number[],
    options: ResNetOptions = {},
  ) {
    super();
    if (layers.length !== 4) throw new RangeError(`ResNet: 'layers' must have 4 entries, got ${layers.length}`);
    const widths = options.widths ?? [64, 128, 256, 512];
    if (widths.length !== 4) throw new RangeError(`ResNet: 'widths' must have 4 entries, got ${widths.length}`);
    const generator = options.generator;
    let inplanes = widths[0];
    this.registerModule('conv1', new Conv2d(options.inChannels ?? 3, inplanes, 7, { stride: 2, padding: 3, bias: false, generator }));
    this.registerModule('bn1', new BatchNorm2d(inplanes));
    this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    layers.forEach((n, i) => {
      const planes = widths[i];
      const stride = i === 0 ? 1 : 2;
      const blocks: Module[] = [];
      for (let b = 0; b < n; b++) {
        const s = b === 0 ? stride : 1;
        const out = planes * block.expansion;
        const downsample = !options.plain && (s !== 1 || inplanes !== out)
          ? new Sequential(conv1x1(inplanes, out, s, generator), new BatchNorm2d(out))
          : null;
        blocks.push(new block(inplanes, planes, {
          stride: s, downsample, groups: options.groups, baseWidth: options.widthPerGroup,
          strideOn1x1: options.paper, plain: options.plain, generator,
        }));
        inplanes = out;
      }
      this.registerModule(`layer${i + 1}`, new Sequential(...blocks));
    });
    this.registerModule('avgpool', new AdaptiveAvgPool2d([1, 1]));
    this.registerModule('fc', new Linear(inplanes, options.numClasses ?? 1000, { generator }));
    for (const m of this.modules()) {
      if (m instanceof Conv2d) kaimingNormal_(m.weight, { mode: 'fanOut', nonlinearity: 'relu', generator });
      else if (m instanceof BatchNorm2d) {
        constant_(m.weight!, 1);
        constant_(m.bias!, 0);
      }
    }
    if (options.zeroInitResidual) {
      for (const m of this.modules()) {
        if (m instanceof Bottleneck) constant_(m.bn3.weight!, 0);
        else if (m instanceof BasicBlock) constant_(m.bn2.weight!, 0);
      }
    }
  }

  /** Everything up to the last stage: [N, C, H, W] → [N, 512·expansion, H/32, W/32]. */
  features(x: Tensor): Tensor {
    let h = this.maxpool.call(relu(this.bn1.call(this.conv1.call(x)))) as Tensor;
    h = this.layer1.call(h);
    h = this.layer2.call(h);
    h = this.layer3.call(h);
    return this.layer4.call(h);
  }

  /** [N, C, H, W] → logits [N, numClasses]. */
  override forward(x: Tensor): Tensor {
    return this.fc.call(this.avgpool.call(this.features(x)).flatten(1));
  }

  /** Softmax cross-entropy on the logits. */
  loss(output: Tensor, target: Tensor): Tensor {
    return crossEntropy(output, target);
  }

  /** The class of the largest logit. */
  predict(output: Tensor): Tensor {
    return argmax(output, 1);
  }
}

type Opts = Omit<ResNetOptions, 'groups' | 'widthPerGroup'>;

/** ResNet-18 (basic blocks 2, 2, 2, 2): 11,689,512 parameters. */
export function resnet18(options: Opts = {}): ResNet {
  return new ResNet(BasicBlock, [2, 2, 2, 2], options);
}
/** ResNet-34 (basic blocks 3, 4, 6, 3): 21,797,672 parameters. */
export function resnet34(options: Opts = {}): ResNet {
  return new ResNet(BasicBlock, [3, 4, 6, 3], options);
}
/** ResNet-50 (bottlenecks 3, 4, 6, 3): 25,557,032 parameters. */
export function resnet50(options: Opts = {}): ResNet {
  return new ResNet(Bottleneck, [3, 4, 6, 3], options);
}
/** ResNet-101 (bottlenecks 3, 4, 23, 3): 44,549,160 parameters. */
export function resnet101(options: Opts = {}): ResNet {
  return new ResNet(Bottleneck, [3, 4, 23, 3], options);
}
/** ResNet-152 (bottlenecks 3, 8, 36, 3): 60,192,808 parameters. */
export function resnet152(options: Opts = {}): ResNet {
  return new ResNet(Bottleneck, [3, 8, 36, 3], options);
}

type PlainOpts = Omit<Opts, 'plain' | 'zeroInitResidual'>;

/** Plain 18-layer network (resnet18 without shortcuts and so without its 3 projections): 11,515,688 parameters. */
export function plainResnet18(options: PlainOpts = {}): ResNet {
  return resnet18({ ...options, plain: true });
}
/** Plain 34-layer network (the paper's "plain-34", Fig. 3 middle). */
export function plainResnet34(options: PlainOpts = {}): ResNet {
  return resnet34({ ...options, plain: true });
}
/** Plain 50-layer bottleneck network (resnet50 without shortcuts). */
export function plainResnet50(options: PlainOpts = {}): ResNet {
  return resnet50({ ...options, plain: true });
}
/** Plain 101-layer bottleneck network. */
export function plainResnet101(options: PlainOpts = {}): ResNet {
  return resnet101({ ...options, plain: true });
}
/** Plain 152-layer bottleneck network. */
export function plainResnet152(options: PlainOpts = {}): ResNet {
  return resnet152({ ...options, plain: true });
}

/** Options of {@link resnext}: depth 50 or 101, cardinality C and width per group d. */
export interface ResNeXtOptions extends Omit<ResNetOptions, 'groups' | 'widthPerGroup'> {
  /** 50 or 101 (the paper's tables); 152 also works. Default 50. */
  depth?: 50 | 101 | 152;
  /** Cardinality C. Default 32. */
  cardinality?: number;
  /** Width per group d. Default 4. */
  width?: number;
}

/**
 * Any ResNeXt of the paper's template: `{ depth, cardinality, width }` = C×d. The paper's settings:
 * 50-layer 32×4d (= resnext50_32x4d), 2×40d, 4×24d, 8×14d (Table 3); 101-layer 32×4d, 2×64d, 64×4d,
 * 32×8d (torchvision), and the wider ResNet-101 baseline `{ depth: 101, cardinality: 1, width: 100 }`.
 * @example const net = models.resnext({ depth: 101, cardinality: 64, width: 4 });
 */
export function resnext(options: ResNeXtOptions = {}): ResNet {
  const depth = options.depth ?? 50;
  const layers = { 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3] }[depth];
  if (!layers) throw new RangeError(`resnext: depth must be 50, 101 or 152, got ${depth}`);
  const { depth: _d, cardinality, width, ...rest } = options;
  void _d;
  return new ResNet(Bottleneck, layers, { ...rest, groups: cardinality ?? 32, widthPerGroup: width ?? 4 });
}

/** ResNeXt-50 32×4d: 25,028,904 parameters. */
export function resnext50_32x4d(options: Opts = {}): ResNet {
  return resnext({ ...options, depth: 50, cardinality: 32, width: 4 });
}
/** ResNeXt-101 32×4d (the paper's Table 4): 44,177,704 parameters. */
export function resnext101_32x4d(options: Opts = {}): ResNet {
  return resnext({ ...options, depth: 101, cardinality: 32, width: 4 });
}
/** ResNeXt-101 32×8d: 88,791,336 parameters. */
export function resnext101_32x8d(options: Opts = {}): ResNet {
  return resnext({ ...options, depth: 101, cardinality: 32, width: 8 });
}
/** ResNeXt-101 64×4d (the paper's Table 4, torchvision): 83,455,272 parameters. */
export function resnext101_64x4d(options: Opts = {}): ResNet {
  return resnext({ ...options, depth: 101, cardinality: 64, width: 4 });
}
/** ResNeXt-50 2×64d (the paper's 2× complexity setting at 50 layers). */
export function resnext50_2x64d(options: Opts = {}): ResNet {
  return resnext({ ...options, depth: 50, cardinality: 2, width: 64 });
}
/** ResNeXt-101 2×64d (the paper's Table 4). */
export function resnext101_2x64d(options: Opts = {}): ResNet {
  return resnext({ ...options, depth: 101, cardinality: 2, width: 64 });
}
/** ResNeXt-50 64×4d. */
export function resnext50_64x4d(options: Opts = {}): ResNet {
  return resnext({ ...options, depth: 50, cardinality: 64, width: 4 });
}
/** The paper's wider ResNet-101 baseline, 1×100d (Table 4). */
export function wideResnet101_1x100d(options: Opts = {}): ResNet {
  return resnext({ ...options, depth: 101, cardinality: 1, width: 100 });
}
/** torchvision's Wide ResNet-50-2 (bottleneck width doubled, C = 1, d = 128): 68,883,240 parameters. */
export function wide_resnet50_2(options: Opts = {}): ResNet {
  return resnext({ ...options, depth: 50, cardinality: 1, width: 128 });
}
/** torchvision's Wide ResNet-101-2: 126,886,696 parameters. */
export function wide_resnet101_2(options: Opts = {}): ResNet {
  return resnext({ ...options, depth: 101, cardinality: 1, width: 128 });
}

/**
 * The paper's shortcut option A (§3.3, used by its CIFAR-10 networks): identity, subsampled by `stride`
 * and zero-padded with channels on both sides when the block widens; no parameters.
 */
export class ShortcutA extends Module {
  /** `inChannels` → `outChannels` (≥ inChannels; the extra channels are zeros) at `stride`. */
  constructor(
    /** Input channels. */ readonly inChannels: number,
    /** Output channels. */ readonly outChannels: number,
    /** Subsampling factor. */ readonly stride = 2,
  ) {
    super();
    if (outChannels < inChannels) throw new RangeError(`ShortcutA: outChannels (${outChannels}) must be at least inChannels (${inChannels})`);
  }

  /** [N, in, H, W] → [N, out, ⌈H/stride⌉, ⌈W/stride⌉]: x[:, :, ::s, ::s] with zero channels around it. */
  override forward(x: Tensor): Tensor {
    const s = this.stride;
    const sub = s === 1 ? x : (maxPool2d(x, { kernelSize: 1, stride: s }) as Tensor);
    const extra = this.outChannels - this.inChannels;
    if (extra === 0) return sub;
    const [n, , h, w] = sub.shape;
    const before = Math.floor(extra / 2);
    const parts = [zeros([n, before, h, w], { device: x.device }), sub, zeros([n, extra - before, h, w], { device: x.device })];
    return cat(parts.filter((t) => t.shape[1] > 0), 1);
  }
}

/** Options of the CIFAR ResNets. */
export interface CifarResNetOptions {
  /** Classes. Default 10. */
  numClasses?: number;
  /** Shortcuts where the shape changes: 'A' (zero-padded identity, the paper's CIFAR choice) or 'B' (1×1 projection + BN). Default 'A'. */
  shortcut?: 'A' | 'B';
  /** No shortcuts at all (the paper's plain CIFAR nets, Fig. 6 left). Default false. */
  plain?: boolean;
  /** Input channels. Default 3. */
  inChannels?: number;
  /** Stream for the initial weights. */
  generator?: Generator;
}

/**
 * The CIFAR-10 ResNets of the paper's §4.2: a 3×3 convolution to 16 channels, three stages of n basic
 * blocks at 16, 32 and 64 channels (32×32, 16×16, 8×8 maps), global average pooling and a 10-way fully
 * connected layer: 6n + 2 weighted layers. Names follow the widely used reference implementation
 * (`conv1`, `bn1`, `layer1`…`layer3`, `linear`). With shortcut A: resnet20 269,722 parameters, resnet32
 * 464,154, resnet44 658,586, resnet56 853,018, resnet110 1,727,962 (the paper's 0.27 M, 0.46 M, 0.66 M,
 * 0.85 M, 1.7 M).
 */
export class CifarResNet extends Module implements Classifier {
  /** 3×3 convolution to 16. */ declare conv1: Conv2d;
  /** Its batch norm. */ declare bn1: BatchNorm2d;
  /** n blocks at 16 channels. */ declare layer1: Sequential;
  /** n blocks at 32 channels. */ declare layer2: Sequential;
  /** n blocks at 64 channels. */ declare layer3: Sequential;
  /** 64 → classes. */ declare linear: Linear;

  /** `n` blocks per stage (depth 6n + 2). */
  constructor(
    /** Blocks per stage. */ readonly n: number,
    options: CifarResNetOptions = {},
  ) {
    super();
    const generator = options.generator;
    this.registerModule('conv1', conv3x3(options.inChannels ?? 3, 16, 1, 1, generator));
    this.registerModule('bn1', new BatchNorm2d(16));
    let inp = 16;
    [16, 32, 64].forEach((planes, i) => {
      const blocks: Module[] = [];
      for (let b = 0; b < n; b++) {
        const stride = b === 0 && i > 0 ? 2 : 1;
        const change = stride !== 1 || inp !== planes;
        const downsample = options.plain || !change ? null
          : (options.shortcut ?? 'A') === 'A' ? new ShortcutA(inp, planes, stride)
          : new Sequential(conv1x1(inp, planes, stride, generator), new BatchNorm2d(planes));
        blocks.push(new BasicBlock(inp, planes, { stride, downsample, plain: options.plain, generator }));
        inp = planes;
      }
      this.registerModule(`layer${i + 1}`, new Sequential(...blocks));
    });
    this.registerModule('linear', new Linear(64, options.numClasses ?? 10, { generator }));
    for (const m of this.modules()) {
      if (m instanceof Conv2d || m instanceof Linear) kaimingNormal_(m.weight, { generator });
    }
  }

  /** [N, 3, 32, 32] → logits [N, classes]. */
  override forward(x: Tensor): Tensor {
    let h = relu(this.bn1.call(this.conv1.call(x)));
    h = this.layer3.call(this.layer2.call(this.layer1.call(h)));
    return this.linear.call(adaptiveAvgPool2d(h, 1).flatten(1));
  }

  /** Softmax cross-entropy on the logits. */
  loss(output: Tensor, target: Tensor): Tensor {
    return crossEntropy(output, target);
  }

  /** The class of the largest logit. */
  predict(output: Tensor): Tensor {
    return argmax(output, 1);
  }
}

/** CIFAR ResNet-20 (n = 3): 269,722 parameters. */
export function resnet20(options: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(3, options);
}
/** CIFAR ResNet-32 (n = 5): 464,154 parameters. */
export function resnet32(options: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(5, options);
}
/** CIFAR ResNet-44 (n = 7): 658,586 parameters. */
export function resnet44(options: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(7, options);
}
/** CIFAR ResNet-56 (n = 9): 853,018 parameters. */
export function resnet56(options: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(9, options);
}
/** CIFAR ResNet-110 (n = 18): 1,727,962 parameters. */
export function resnet110(options: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(18, options);
}
