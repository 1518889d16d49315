#!/usr/bin/env python3
"""PyTorch reference figures for tokenbench's performance targets, on the same machine and shapes.

Runs on the lent NVIDIA machine (it has PyTorch; tokenbench's own figures come from the Node/Dawn
runner in the same device call, see issue5.sh). Prints a short table and writes JSON:

  read bandwidth (torch.sum over 256 MiB), SGEMM 4096^3 without TF32, HGEMM 8192^3,
  eager decode (batch 1, 128 steps after a 1-token prompt) and prefill (512 tokens) of the
  Llama-architecture presets in f16, with random weights of the preset's shapes.

Eager means what a plain PyTorch user gets: one kernel per op, no CUDA graphs, no torch.compile.
Timings use CUDA events around whole loops, after warm-up, median of repetitions.
"""
import argparse
import json
import statistics
import sys

import torch
import torch.nn.functional as F

# The presets' shapes (src/model/presets.ts): hidden, ffn, layers, heads, kv heads, head dim, vocab, theta.
PRESETS = {
    "llama-3.1-8b": dict(hidden=4096, ffn=14336, layers=32, heads=32, kv=8, hd=128, vocab=128256, theta=500000.0),
    "llama-3.2-1b": dict(hidden=2048, ffn=8192, layers=16, heads=32, kv=8, hd=64, vocab=128256, theta=500000.0),
}


def timed(fn, reps, warmup=2):
    """Median milliseconds of fn() over reps, CUDA events, after warm-up."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def read_bandwidth():
    x = torch.rand(64 << 20, device="cuda")  # 256 MiB of f32
    ms = timed(lambda: x.sum(), 20)
    return x.numel() * 4 / (ms * 1e-3) / 1e9


def gemm(n, dtype, tf32=False):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    a = torch.randn(n, n, device="cuda", dtype=dtype)
    b = torch.randn(n, n, device="cuda", dtype=dtype)
    ms = timed(lambda: a @ b, 10)
    return 2 * n**3 / (ms * 1e-3) / 1e12


class Llama:
    """The forward tokenbench times, written with plain PyTorch ops on random f16 weights."""

    def __init__(self, p, ctx, dtype=torch.float16):
        self.p = p
        dev = "cuda"
        H, F_, nq, nkv = p["hidden"], p["ffn"], p["heads"] * p["hd"], p["kv"] * p["hd"]
        s = 0.02
        self.layers = []
        for _ in range(p["layers"]):
            self.layers.append(dict(
                qkv=torch.randn(nq + 2 * nkv, H, device=dev, dtype=dtype) * s,
                o=torch.randn(H, nq, device=dev, dtype=dtype) * s,
                gate_up=torch.randn(2 * F_, H, device=dev, dtype=dtype) * s,
                down=torch.randn(H, F_, device=dev, dtype=dtype) * s,
                n1=torch.ones(H, device=dev, dtype=dtype),
                n2=torch.ones(H, device=dev, dtype=dtype),
                k=torch.zeros(1, p["kv"], ctx, p["hd"], device=dev, dtype=dtype),
                v=torch.zeros(1, p["kv"], ctx, p["hd"], device=dev, dtype=dtype),
            ))
        self.emb = torch.randn(p["vocab"], H, device=dev, dtype=dtype) * s
        self.head = torch.randn(p["vocab"], H, device=dev, dtype=dtype) * s
        self.norm = torch.ones(H, device=dev, dtype=dtype)
        inv = 1.0 / (p["theta"] ** (torch.arange(0, p["hd"], 2, device=dev, dtype=torch.float32) / p["hd"]))
        ang = torch.outer(torch.arange(ctx, device=dev, dtype=torch.float32), inv)
        self.cos, self.sin = ang.cos().to(dtype), ang.sin().to(dtype)

    @staticmethod
    def rms(x, w, eps=1e-5):
        return x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + eps).to(x.dtype) * w

    def rope(self, x, pos):  # x [T, heads, hd], rotate-half convention
        T = x.shape[0]
        c, s = self.cos[pos:pos + T, None, :], self.sin[pos:pos + T, None, :]
        a, b = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat([a * c - b * s, a * s + b * c], -1)

    def forward(self, tokens, pos):
        p = self.p
        T = tokens.shape[0]
        nq, nkv, hd = p["heads"] * p["hd"], p["kv"] * p["hd"], p["hd"]
        x = self.emb[tokens]
        for L in self.layers:
            qkv = self.rms(x, L["n1"]) @ L["qkv"].T
            q, k, v = qkv.split([nq, nkv, nkv], -1)
            q = self.rope(q.view(T, p["heads"], hd), pos)
            k = self.rope(k.view(T, p["kv"], hd), pos)
            L["k"][0, :, pos:pos + T] = k.transpose(0, 1)
            L["v"][0, :, pos:pos + T] = v.view(T, p["kv"], hd).transpose(0, 1)
            kc, vc = L["k"][:, :, : pos + T], L["v"][:, :, : pos + T]
            a = F.scaled_dot_product_attention(
                q.transpose(0, 1)[None], kc, vc, is_causal=T > 1, enable_gqa=True
            )[0].transpose(0, 1).reshape(T, nq)
            x = x + a @ L["o"].T
            g, u = (self.rms(x, L["n2"]) @ L["gate_up"].T).chunk(2, -1)
            x = x + (F.silu(g) * u) @ L["down"].T
        logits = self.rms(x[-1:], self.norm) @ self.head.T
        return logits.argmax(-1)


@torch.inference_mode()
def model_figures(name, prompt=512, gen=128, reps=3):
    p = PRESETS[name]
    m = Llama(p, ctx=prompt + gen + 8)
    toks = torch.randint(0, p["vocab"], (prompt,), device="cuda")
    prefill_ms = timed(lambda: m.forward(toks, 0), reps)

    def decode():
        t = toks[:1]
        for i in range(gen):
            t = m.forward(t, i)

    decode_ms = timed(decode, reps, warmup=1)
    return dict(prefill_tok_s=prompt / (prefill_ms * 1e-3), decode_tok_s=gen / (decode_ms * 1e-3), prompt=prompt, gen=gen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default="llama-3.1-8b,llama-3.2-1b")
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print("torch_baseline: no CUDA device", file=sys.stderr)
        return 2
    out = dict(device=torch.cuda.get_device_name(), torch=torch.__version__, cuda=torch.version.cuda)
    out["read_gbs"] = read_bandwidth()
    out["sgemm4096_tflops_no_tf32"] = gemm(4096, torch.float32)
    out["hgemm8192_tflops"] = gemm(8192, torch.float16)
    out["models"] = {}
    for name in a.models.split(","):
        out["models"][name] = dict(f16=model_figures(name))
        torch.cuda.empty_cache()
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"torch {out['torch']} on {out['device']}")
    print(f"  read {out['read_gbs']:.0f} GB/s · SGEMM 4096 {out['sgemm4096_tflops_no_tf32']:.1f} TFLOP/s · HGEMM 8192 {out['hgemm8192_tflops']:.0f} TFLOP/s")
    for name, f in out["models"].items():
        r = f["f16"]
        print(f"  {name} f16: pp{r['prompt']} {r['prefill_tok_s']:.0f} tok/s · tg{r['gen']} {r['decode_tok_s']:.1f} tok/s (eager)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
