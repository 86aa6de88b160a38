#!/usr/bin/env python3
"""Rewrites the kernel launches of a .cu file for the CPU emulator (cuda_runtime.h beside this file):
`kernel<T, U><<<grid, block, smem, stream>>>(args);` becomes
`::emu::launch(dim3(grid), dim3(block), [&] { kernel<T, U>(args); });`. Usage: translate.py in.cu out.cpp"""
import sys


def split_top(s):
    """Splits s at commas outside brackets."""
    parts, depth, cur = [], 0, ''
    for ch in s:
        if ch in '([{':
            depth += 1
        elif ch in ')]}':
            depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts]


def translate(src):
    out = ''
    pos = 0
    while True:
        i = src.find('<<<', pos)
        if i < 0:
            return out + src[pos:]
        # The kernel expression before '<<<': an identifier with optional template arguments.
        j = i
        while j > 0 and src[j - 1].isspace():
            j -= 1
        if src[j - 1] == '>':
            depth = 0
            k = j - 1
            while True:
                if src[k] == '>':
                    depth += 1
                elif src[k] == '<':
                    depth -= 1
                    if depth == 0:
                        break
                k -= 1
            j = k
        while j > 0 and (src[j - 1].isalnum() or src[j - 1] in '_:'):
            j -= 1
        kernel = src[j:i].strip()
        e = src.find('>>>', i)
        config = split_top(src[i + 3:e])
        k = e + 3
        while src[k].isspace():
            k += 1
        assert src[k] == '(', 'expected the argument list after >>>'
        depth = 0
        m = k
        while True:
            if src[m] == '(':
                depth += 1
            elif src[m] == ')':
                depth -= 1
                if depth == 0:
                    break
            m += 1
        args = src[k + 1:m]
        launch = f'::emu::launch(dim3({config[0]}), dim3({config[1]}), [&] {{ {kernel}({args.replace(chr(10), " ")}); }})'
        out += src[pos:j] + launch + '\n' * src[j:m + 1].count('\n')  # keeps the line numbers
        pos = m + 1


if __name__ == '__main__':
    with open(sys.argv[1]) as f:
        text = f.read()
    with open(sys.argv[2], 'w') as f:
        f.write(f'#line 1 "{sys.argv[1]}"\n' + translate(text))
