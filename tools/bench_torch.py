"""PyTorch CPU timings for `deno task bench --torch` (src/bench/torch.ts).

Reads a JSON list of specs on stdin, [{"op": ..., "args": {...}}, ...], times each on the CPU
(float32, PyTorch's default thread count) and prints {"seconds": [s_or_null, ...]} on stdout:
the best of several repetitions of one run (warm-up first). Ops:
  conv2d_fwd, conv2d_dgrad, conv2d_wgrad  args N, C, H, W, O, K, S, P (NCHW, no bias; the
                                          gradients via aten.convolution_backward)
  matmul                                  args M, N, K
Exit code 3 (with a message on stderr) when torch is not installed.
"""
import json
import sys
import time

try:
    import torch
except ImportError:
    sys.stderr.write("python3 has no torch module (pip install torch)\n")
    sys.exit(3)


def conv_runner(op, a):
    g = torch.Generator().manual_seed(0)
    n, c, h, w, o, k, s, p = (a[key] for key in ("N", "C", "H", "W", "O", "K", "S", "P"))
    x = torch.randn(n, c, h, w, generator=g)
    wt = torch.randn(o, c, k, k, generator=g)
    ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    gy = torch.randn(n, o, ho, wo, generator=g)
    if op == "conv2d_fwd":
        return lambda: torch.nn.functional.conv2d(x, wt, stride=s, padding=p)
    mask = [op == "conv2d_dgrad", op == "conv2d_wgrad", False]
    return lambda: torch.ops.aten.convolution_backward(
        gy, x, wt, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)


def matmul_runner(a):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(a["M"], a["K"], generator=g)
    y = torch.randn(a["K"], a["N"], generator=g)
    return lambda: x @ y


def best_seconds(fn, reps):
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        if time.perf_counter() - t0 > 5:  # slow case: one timed run is enough
            break
    return best


def main():
    quick = "--quick" in sys.argv[1:]
    specs = json.load(sys.stdin)
    out = []
    with torch.no_grad():
        for spec in specs:
            op, args = spec["op"], spec["args"]
            if op == "matmul":
                fn = matmul_runner(args)
            elif op.startswith("conv2d_"):
                fn = conv_runner(op, args)
            else:
                out.append(None)
                continue
            out.append(best_seconds(fn, 2 if quick else 5))
    json.dump({"seconds": out}, sys.stdout)


if __name__ == "__main__":
    main()
