"""PyTorch's times for the shapes of bench/cuda/kernels.ts (cuBLAS GEMM, cuDNN convolution forward, backward
data and backward weight), FP32 (TF32 off) and TF32, as JSON {"fp32 <case>": ms, ...} on stdout, the case
names as kernels.ts prints them. Reads the shapes from `node .../kernels.js --shapes` on stdin. Times are
medians of CUDA-event-timed runs after warm-up. Exits 0 with an empty object where torch or a GPU is missing.
Usage: node build/gpu-check/bench/cuda/kernels.js --shapes | python3 bench/cuda/torch_ref.py > torch.json"""
import json
import sys


def median_ms(torch, fn, runs):
    for _ in range(2):
        fn()
    times = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def main():
    shapes = json.load(sys.stdin)
    try:
        import torch
        import torch.nn.grad as grad
    except ImportError:
        print('{}')
        return
    if not torch.cuda.is_available():
        print('{}')
        return
    out = {}
    dev = torch.device('cuda')
    batch = shapes['batch']
    for mode in ('fp32', 'tf32'):
        torch.backends.cuda.matmul.allow_tf32 = mode == 'tf32'
        torch.backends.cudnn.allow_tf32 = mode == 'tf32'
        torch.backends.cudnn.benchmark = True
        for n in shapes['gemms']:
            a, b = torch.rand(n, n, device=dev) * 2 - 1, torch.rand(n, n, device=dev) * 2 - 1
            out[f'{mode} gemm {n}³'] = median_ms(torch, lambda: a @ b, 7)
        for s in shapes['convs']:
            pad = s['k'] // 2
            x = torch.rand(batch, s['cin'], s['size'], s['size'], device=dev) * 2 - 1
            w = torch.rand(s['cout'], s['cin'], s['k'], s['k'], device=dev) * 2 - 1
            y = torch.nn.functional.conv2d(x, w, stride=s['stride'], padding=pad)
            gy = torch.rand_like(y) * 2 - 1
            name = s['name']
            out[f'{mode} conv fwd {name}'] = median_ms(
                torch, lambda: torch.nn.functional.conv2d(x, w, stride=s['stride'], padding=pad), 7)
            out[f'{mode} conv bwd-data {name}'] = median_ms(
                torch, lambda: grad.conv2d_input(x.shape, w, gy, stride=s['stride'], padding=pad), 7)
            out[f'{mode} conv bwd-weight {name}'] = median_ms(
                torch, lambda: grad.conv2d_weight(x, w.shape, gy, stride=s['stride'], padding=pad), 7)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
