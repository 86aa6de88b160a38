"""Writes the torchvision fixtures of test/io/torchvision.test.ts and test/data/transforms.test.ts.

Run with the Python that has torch 1.13 and torchvision 0.14 (no network, no pretrained weights):

    /usr/bin/python3 scripts/torchvision-fixtures.py

Writes test/fixtures/torchvision/:
  keys.json            every zoo model torchvision also has: its state dict's names, shapes and dtypes
  outputs.json         torchvision's float64 logits of one model of each family (narrowed where torchvision
                       allows, full-size GoogLeNet) on a fixed input, with weights from `hashed` below
                       (the test rebuilds the same weights, so none are committed)
  densenet-tiny.safetensors, densenet-tiny.json
                       a small DenseNet with torchvision's own seeded initialisation, as safetensors
                       (int64 num_batches_tracked, as torch saves them), and its logits
  image.png, transforms.json
                       a test picture and torchvision's transforms of it (tensor and PIL paths)
  predict.json         torchvision's top 5 classes of the picture (ResNet-18 with hashed weights)
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torchvision
from PIL import Image
from torch import nn
from torchvision import transforms as T
from torchvision.models import vgg as tv_vgg
from torchvision.models.resnet import BasicBlock, Bottleneck

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torchvision')

# Zoo models that torchvision has under the same name.
KEY_MODELS = [
    'alexnet', 'vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn', 'googlenet',
    'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnext50_32x4d', 'resnext101_32x8d',
    'resnext101_64x4d', 'wide_resnet50_2', 'wide_resnet101_2', 'densenet121', 'densenet161', 'densenet169',
    'densenet201',
]


# ------------------------------------------------------------------------------------ hashed weights
# Value i of tensor `name` is a function of (name, i) that the test computes identically in JS: a 32-bit
# FNV-1a seed of the name, a lowbias32 mix of seed + i * golden ratio, scaled per kind of tensor.

def fnv1a(name):
    h = 0x811C9DC5
    for b in name.encode('utf8'):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def uniform(name, n):
    """n values in [0, 1), float64, from the name's hash stream."""
    with np.errstate(over='ignore'):
        x = (np.uint32(fnv1a(name)) + np.arange(n, dtype=np.uint32) * np.uint32(0x9E3779B9)).astype(np.uint32)
        x ^= x >> np.uint32(16)
        x *= np.uint32(0x7FEB352D)
        x ^= x >> np.uint32(15)
        x *= np.uint32(0x846CA68B)
        x ^= x >> np.uint32(16)
    return x.astype(np.float64) / 4294967296.0


def hashed(name, shape):
    """The value of a state-dict entry: He-uniform weights, small biases, plausible batch-norm statistics."""
    n = int(np.prod(shape)) if len(shape) else 1
    u = uniform(name, n)
    if name.endswith('running_var'):
        v = 0.5 + u
    elif name.endswith('running_mean'):
        v = 0.2 * (2 * u - 1)
    elif name.endswith('bias'):
        v = 0.1 * (2 * u - 1)
    elif len(shape) == 1:
        v = 0.8 + 0.4 * u
    else:
        v = math.sqrt(6 / int(np.prod(shape[1:]))) * (2 * u - 1)
    return v.astype(np.float32).reshape(shape)


def fill_hashed(model):
    sd = model.state_dict()
    for k, t in sd.items():
        if k.endswith('num_batches_tracked'):
            continue
        t.copy_(torch.from_numpy(hashed(k, tuple(t.shape))))


def hashed_input(shape):
    return torch.from_numpy((2 * uniform('input', int(np.prod(shape))) - 1).reshape(shape))


# ------------------------------------------------------------------------------------ reduced models
# torchvision fixes AlexNet's, VGG's and ResNet's widths; these swap narrower layers in at the same indices
# (or narrower stages), so the names and torchvision's forward code stay, and the weights stay small.
# GoogLeNet stays full size (6 M parameters), its Inception widths being fixed.

def narrow_alexnet(num_classes):
    m = torchvision.models.alexnet(num_classes=num_classes)
    c = [8, 24, 48, 32, 32]
    m.features[0] = nn.Conv2d(3, c[0], 11, stride=4, padding=2)
    m.features[3] = nn.Conv2d(c[0], c[1], 5, padding=2)
    m.features[6] = nn.Conv2d(c[1], c[2], 3, padding=1)
    m.features[8] = nn.Conv2d(c[2], c[3], 3, padding=1)
    m.features[10] = nn.Conv2d(c[3], c[4], 3, padding=1)
    m.classifier[1] = nn.Linear(c[4] * 36, 512)
    m.classifier[4] = nn.Linear(512, 512)
    m.classifier[6] = nn.Linear(512, num_classes)
    return m


def narrow_vgg(cfg_name, batch_norm, num_classes, hidden=64):
    cfg = [v if v == 'M' else v // 8 for v in tv_vgg.cfgs[cfg_name]]
    m = tv_vgg.VGG(tv_vgg.make_layers(cfg, batch_norm=batch_norm), num_classes=num_classes)
    m.classifier[0] = nn.Linear(cfg[-2] * 49, hidden)
    m.classifier[3] = nn.Linear(hidden, hidden)
    m.classifier[6] = nn.Linear(hidden, num_classes)
    return m


def narrow_resnet(block, layers, widths, num_classes, **kwargs):
    """torchvision's ResNet with stage widths `widths` instead of 64..512 (its blocks and forward)."""
    full = [64, 128, 256, 512]

    class Narrow(torchvision.models.resnet.ResNet):
        def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
            if planes == full[0]:
                self.inplanes = widths[0]
            return super()._make_layer(block, widths[full.index(planes)], blocks, stride, dilate)

    m = Narrow(block, layers, num_classes=num_classes, **kwargs)
    m.conv1 = nn.Conv2d(3, widths[0], 7, stride=2, padding=3, bias=False)
    m.bn1 = nn.BatchNorm2d(widths[0])
    m.fc = nn.Linear(widths[3] * block.expansion, num_classes)
    return m


# The models of outputs.json: the id the test uses, how torchvision builds it, the input shape. The
# JS side builds the same architecture from the same id.
OUTPUT_MODELS = [
    ('alexnet-w0.125', lambda: narrow_alexnet(10), [2, 3, 64, 64]),
    ('vgg11_bn-w0.125', lambda: narrow_vgg('A', True, 10), [2, 3, 32, 32]),
    ('vgg16-w0.125', lambda: narrow_vgg('D', False, 10), [1, 3, 32, 32]),
    ('googlenet', lambda: torchvision.models.googlenet(num_classes=10, aux_logits=True, init_weights=False), [1, 3, 64, 64]),
    ('resnet18-w8', lambda: narrow_resnet(BasicBlock, [2, 2, 2, 2], [8, 16, 32, 64], 10), [2, 3, 64, 64]),
    ('resnext50_4x16d-w8', lambda: narrow_resnet(Bottleneck, [3, 4, 6, 3], [8, 16, 32, 64], 10, groups=4, width_per_group=16), [1, 3, 64, 64]),
    ('densenet121-k8', lambda: torchvision.models.DenseNet(8, (6, 12, 24, 16), 16, num_classes=10), [1, 3, 64, 64]),
]


# ------------------------------------------------------------------------------------ safetensors

ST_DTYPES = {torch.float32: 'F32', torch.int64: 'I64', torch.float64: 'F64', torch.float16: 'F16'}


def write_safetensors(path, tensors, metadata=None):
    """The safetensors layout (8-byte header length, JSON header, data), as the reference library writes it."""
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    blobs = []
    offset = 0
    for name, t in tensors.items():
        b = t.contiguous().numpy().tobytes()
        header[name] = {'dtype': ST_DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(',', ':')).encode('utf8')
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def floats(t):
    """A tensor's values as a flat list of float32-rounded numbers, each written in the fewest digits."""
    return [float(str(np.float32(v))) for v in t.detach().reshape(-1).tolist()]


def dump(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
        f.write('\n')


# ------------------------------------------------------------------------------------ the fixtures

def write_keys():
    keys = {}
    for name in KEY_MODELS:
        kwargs = {'init_weights': False} if name == 'googlenet' else {}
        m = getattr(torchvision.models, name)(**kwargs)
        keys[name] = [[k, list(t.shape), 'int64' if t.dtype == torch.int64 else 'float32'] for k, t in m.state_dict().items()]
    dump(os.path.join(OUT, 'keys.json'), keys)


def write_outputs():
    out = {}
    for model_id, build, shape in OUTPUT_MODELS:
        m = build().eval()
        with torch.no_grad():
            fill_hashed(m)
            y = m.double()(hashed_input(shape))
        keys = [[k, list(t.shape)] for k, t in m.state_dict().items()]
        out[model_id] = {'input': shape, 'keys': keys, 'output': floats(y), 'outputShape': list(y.shape)}
    dump(os.path.join(OUT, 'outputs.json'), out)


def write_densenet_tiny():
    torch.manual_seed(0)
    m = torchvision.models.DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16, bn_size=2, num_classes=10)
    # A few training steps give the batch norms real running statistics and a non-zero num_batches_tracked.
    m.train()
    with torch.no_grad():
        for i in range(3):
            m(torch.randn(4, 3, 32, 32))
    m.eval()
    sd = m.state_dict()
    write_safetensors(os.path.join(OUT, 'densenet-tiny.safetensors'), sd, {'format': 'pt'})
    x = hashed_input([2, 3, 32, 32])
    with torch.no_grad():
        y = m.double()(x)
    dump(os.path.join(OUT, 'densenet-tiny.json'), {
        'options': {'growthRate': 8, 'blockConfig': [2, 2], 'numInitFeatures': 16, 'bnSize': 2, 'numClasses': 10},
        'input': [2, 3, 32, 32], 'output': floats(y), 'outputShape': list(y.shape),
        'numBatchesTracked': int(sd['features.norm0.num_batches_tracked']),
    })


IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def write_transforms():
    # A 61×47 RGB picture: smooth gradients and a disc (structure for the resampling), plus seeded noise.
    h, w = 47, 61
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    rng = np.random.default_rng(0)
    r = 127 + 100 * np.sin(xx / 7.0) * np.cos(yy / 5.0)
    g = 255 * xx / (w - 1)
    b = np.where((xx - 30) ** 2 + (yy - 20) ** 2 < 150, 230.0, 30.0)
    img = np.stack([r, g, b], -1) + rng.normal(0, 12, (h, w, 3))
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    pil = Image.fromarray(img, 'RGB')
    pil.save(os.path.join(OUT, 'image.png'))

    x = T.ToTensor()(pil)
    norm = T.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    cases = {
        # The ImageNet chain on a tensor, with antialiasing (as PIL resizes).
        'chain': T.Compose([T.Resize(24, antialias=True), T.CenterCrop(20), norm])(x),
        'resize24': T.Resize(24, antialias=True)(x),
        'resize24-noaa': T.Resize(24, antialias=False)(x),
        'resize-30x17': T.Resize([30, 17], antialias=True)(x),
        'resize60': T.Resize(60, antialias=True)(x),
        'crop20': T.CenterCrop(20)(x),
        'crop-30x50': T.CenterCrop([30, 50])(x),
        'crop-50x64': T.CenterCrop([50, 64])(x),
        # The chain as torchvision's ImageNet recipes run it, on the PIL image (8-bit rounding after Resize).
        'pil-chain': T.Compose([T.Resize(24), T.CenterCrop(20), T.ToTensor(), norm])(pil),
    }
    dump(os.path.join(OUT, 'transforms.json'), {k: {'shape': list(v.shape), 'values': floats(v)} for k, v in cases.items()})


def write_predict():
    """torchvision's ResNet-18 (hashed weights, 1000 classes) on image.png through the ImageNet chain.

    The residual sums grow the hashed network's logits to hundreds, which makes softmax one-hot; the head
    is scaled by a power of two (exact in float32, and the test does the same) to give logits of order 1.
    """
    m = torchvision.models.resnet18().eval().double()
    fill_hashed(m)
    x = T.ToTensor()(Image.open(os.path.join(OUT, 'image.png')))
    chain = T.Compose([T.Resize(256, antialias=True), T.CenterCrop(224), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    x = chain(x).double().unsqueeze(0)
    scale = 2.0 ** -round(math.log2(float(m(x).std())))
    m.fc.weight.mul_(scale)
    m.fc.bias.mul_(scale)
    p = torch.softmax(m(x), 1)[0]
    top = torch.topk(p, 5)
    dump(os.path.join(OUT, 'predict.json'), {
        'model': 'resnet18', 'headScale': scale, 'top': [[int(i), float(np.float32(v))] for v, i in zip(top.values, top.indices)],
    })


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_grad_enabled(False)
    write_transforms()
    write_predict()
    write_densenet_tiny()
    write_outputs()
    write_keys()


if __name__ == '__main__':
    main()
