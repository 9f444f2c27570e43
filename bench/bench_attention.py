"""Chapter 05's library against torch: median times and ratios, all measured in one run.

    python bench/bench_attention.py [--repeats 20]

For each device present: (1) lib.attention.scaled_dot_product_attention and tiled_attention
against torch.nn.functional.scaled_dot_product_attention, forward and backward, causal;
(2) lib.attention.MultiHeadAttention against torch.nn.MultiheadAttention(batch_first=True),
forward and backward; (3) one AdamW training step of TinyGPT against the same model built from
torch.nn.TransformerEncoderLayer(norm_first=True) (the chapter's live configuration and the
checkpoint's); (4) generating 48 characters with and without the key/value cache.
Calls take turns (bench/timing.py), so machine noise hits both sides alike.
"""
import argparse
import os

import torch
import torch.nn.functional as F
from torch import nn

from lib import attention, gpt
from lib.transformer import TransformerConfig
from timing import add_device_argument, alternating_medians, chosen_devices


def attention_calls(T, device):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(8, 4, T, 32, generator=g).to(device).requires_grad_(True) for _ in range(3))

    def run(f):
        def call():
            f(q, k, v).sum().backward()
        return call
    return {"lib": run(lambda q, k, v: attention.scaled_dot_product_attention(q, k, v, causal=True)),
            "lib tiled": run(lambda q, k, v: attention.tiled_attention(q, k, v, causal=True, block_size=128)),
            "torch": run(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True))}


def mha_calls(device):
    torch.manual_seed(0)
    ours, theirs = attention.MultiHeadAttention(128, 4).to(device), nn.MultiheadAttention(128, 4, batch_first=True).to(device)
    x = torch.randn(16, 64, 128, device=device, requires_grad=True)
    mask = ~attention.causal_mask(64, device=device)
    return {"lib": lambda: ours(x, causal=True).sum().backward(),
            "torch": lambda: theirs(x, x, x, attn_mask=mask, need_weights=False)[0].sum().backward()}


class TorchGPT(nn.Module):
    """TinyGPT's layout from torch.nn modules: the oracle of the training-step benchmark."""

    def __init__(self, c):
        super().__init__()
        self.tok, self.pos = nn.Embedding(c.vocab_size, c.n_embd), nn.Embedding(c.block_size, c.n_embd)
        self.blocks = nn.ModuleList(nn.TransformerEncoderLayer(c.n_embd, c.n_head, c.hidden, 0.0, "gelu",
                                                               batch_first=True, norm_first=True)
                                    for _ in range(c.n_layer))
        self.ln, self.head = nn.LayerNorm(c.n_embd), nn.Linear(c.n_embd, c.vocab_size, bias=False)
        self.head.weight = self.tok.weight
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(c.block_size))

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(T, device=idx.device))
        for block in self.blocks:
            x = block(x, src_mask=self.mask[:T, :T], is_causal=True)
        logits = self.head(self.ln(x))
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten())


def step_calls(config, batch, device):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, config.vocab_size, (batch, config.block_size), generator=g).to(device)
    y = torch.randint(0, config.vocab_size, (batch, config.block_size), generator=g).to(device)
    calls = {}
    for name, model in (("lib", gpt.TinyGPT(config)), ("torch", TorchGPT(config))):
        model.to(device)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

        def call(model=model, opt=opt):
            _, loss = model(x, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        calls[name] = call
    return calls


def generation_calls(device):
    torch.manual_seed(0)
    model = gpt.TinyGPT(TransformerConfig(vocab_size=96, block_size=64, n_layer=3, n_head=4, n_embd=96)).to(device)
    prompt = torch.zeros(1, 11, dtype=torch.long, device=device)
    return {f"cache {use}": (lambda use=use: gpt.generate(model, prompt, 48, use_cache=use,
                                                          generator=torch.Generator(device=device).manual_seed(0)))
            for use in (True, False)}


def report(title, calls, device, repeats, baseline):
    names = list(calls)
    medians = dict(zip(names, alternating_medians([calls[n] for n in names], device, repeats)))
    parts = "   ".join(f"{n} {medians[n] * 1e3:8.2f} ms" for n in names)
    ratios = "   ".join(f"{n}/{baseline} {medians[n] / medians[baseline]:5.2f}" for n in names if n != baseline)
    print(f"{device:<5} {title:<36} {parts}   {ratios}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    add_device_argument(parser)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    live = TransformerConfig(vocab_size=96, block_size=32, n_layer=2, n_head=4, n_embd=64)
    checkpoint = TransformerConfig(vocab_size=96, block_size=64, n_layer=3, n_head=4, n_embd=96)
    for device in chosen_devices(args.device):
        for T in (256, 1024):
            report(f"attention fwd+bwd, 8x4 heads, T={T}", attention_calls(T, device), device, args.repeats, "torch")
        report("multi-head fwd+bwd, (16, 64, 128)", mha_calls(device), device, args.repeats, "torch")
        report("training step, chapter (16 x 32)", step_calls(live, 16, device), device, args.repeats, "torch")
        report("training step, checkpoint (32 x 64)", step_calls(checkpoint, 32, device), device, args.repeats, "torch")
        report("generate 48 characters", generation_calls(device), device, max(3, args.repeats // 4), "cache True")


if __name__ == "__main__":
    main()
