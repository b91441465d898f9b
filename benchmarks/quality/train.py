"""
Trains the quality benchmark's model and writes it as a GGUF that llama-server serves.

A llama-architecture transformer (4 layers, d_model 128, 4 heads, SwiGLU 352, RMSNorm, rotary
embeddings), about 0.9 M parameters, trained with JAX on CPU on the tasks in tasks.py. One
character a token; `<think>` and `</think>` are user-defined tokens, the ChatML markers control
tokens. Benchmark tooling only: the product is TypeScript.

  python -m venv ~/.cache/thinkcap/quality-venv
  ~/.cache/thinkcap/quality-venv/bin/pip install -r benchmarks/quality/requirements.txt
  ~/.cache/thinkcap/quality-venv/bin/python benchmarks/quality/train.py --minutes 30 \
      --out benchmarks/quality/arith-think.gguf

Fixed seed; XLA on CPU is not bit-for-bit reproducible across machines, so a retrained model is
close to the committed one, not identical (its checksum is in benchmarks/quality/README.md).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks  # noqa: E402

# --- tokenizer: SentencePiece-style vocabulary, one character a token, byte fallback ---------

SPACE = "\u2581"  # SentencePiece writes a space as U+2581
CHARS = [SPACE] + [chr(c) for c in range(0x21, 0x7F)]
SPECIAL = ["<|im_start|>", "<|im_end|>", "<think>", "</think>"]
# gguf token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte
VOCAB: list[tuple[str, int]] = (
    [("<unk>", 2), ("<s>", 3), ("</s>", 3)]
    + [(f"<0x{b:02X}>", 6) for b in range(256)]
    + [(c, 1) for c in CHARS]
    + [("<|im_start|>", 3), ("<|im_end|>", 3), ("<think>", 4), ("</think>", 4)]
)
ID = {text: i for i, (text, _) in enumerate(VOCAB)}
PAD = ID["</s>"]


def encode(text: str) -> list[int]:
    """What llama.cpp's SPM tokenizer gives for this vocabulary: specials whole, a char a token."""
    out: list[int] = []
    i = 0
    while i < len(text):
        for s in SPECIAL:
            if text.startswith(s, i):
                out.append(ID[s])
                i += len(s)
                break
        else:
            ch = SPACE if text[i] == " " else text[i]
            if ch in ID and len(ch) == 1:
                out.append(ID[ch])
            else:
                out.extend(ID[f"<0x{b:02X}>"] for b in ch.encode("utf-8"))
            i += 1
    return out


def prompt_text(question: str) -> str:
    """The chat template's rendering of one user turn and the generation prompt."""
    return f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n<think>"


def example(p: tasks.Problem, rng: random.Random, cut_share: float = 0.25) -> tuple[list[int], int]:
    """Token ids and where the loss starts (the first token the model writes)."""
    think = tasks.thinking(p)
    if rng.random() < cut_share:
        # A budget cut inside the checks: the end of thinking comes early (with or without the
        # newline a continuation adds) and the answer still follows from the result line.
        cut = rng.randrange(tasks.needed_chars(p), len(think))
        think = think[:cut] + ("\n" if rng.random() < 0.5 and not think[:cut].endswith("\n") else "")
    head = encode(prompt_text(p.question))
    tail = encode(f"{think}</think>\n\n{p.answer}<|im_end|>")
    return head + tail, len(head)


def batch(problems: list[tasks.Problem], rng: random.Random, seq: int, cut_share: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.full((len(problems), seq + 1), PAD, dtype=np.int32)
    m = np.zeros((len(problems), seq), dtype=np.float32)
    for r, p in enumerate(problems):
        ids, start = example(p, rng, cut_share)
        ids = ids[: seq + 1]
        x[r, : len(ids)] = ids
        m[r, start - 1 : len(ids) - 1] = 1.0
    return x, m


# --- model ---------------------------------------------------------------------------------

D, LAYERS, HEADS, FFN, CTX = 128, 4, 4, 352, 512
HD = D // HEADS
EPS, ROPE_BASE = 1e-5, 10000.0


def init(key: jax.Array) -> dict:
    v = len(VOCAB)
    keys = iter(jax.random.split(key, 4 + LAYERS * 8))
    dense = lambda k, i, o: jax.random.normal(k, (i, o), jnp.float32) * (1.0 / np.sqrt(i))  # noqa: E731
    layers = []
    for _ in range(LAYERS):
        layers.append({
            "attn_norm": jnp.ones(D), "wq": dense(next(keys), D, D), "wk": dense(next(keys), D, D),
            "wv": dense(next(keys), D, D), "wo": dense(next(keys), D, D) / np.sqrt(2 * LAYERS),
            "ffn_norm": jnp.ones(D), "w_gate": dense(next(keys), D, FFN), "w_up": dense(next(keys), D, FFN),
            "w_down": dense(next(keys), FFN, D) / np.sqrt(2 * LAYERS),
        })
    return {
        "emb": jax.random.normal(next(keys), (v, D), jnp.float32) * 0.02,
        "layers": layers, "out_norm": jnp.ones(D), "out": dense(next(keys), D, v) * 0.5,
    }


def rms(x, w):
    return x * jax.lax.rsqrt(jnp.mean(x * x, axis=-1, keepdims=True) + EPS) * w


def rope(x):
    """Rotary embedding on adjacent pairs (x[2i], x[2i+1]): llama.cpp's mode for this architecture."""
    t = x.shape[-3]
    inv = ROPE_BASE ** (-np.arange(0, HD, 2, dtype=np.float32) / HD)
    ang = np.arange(t, dtype=np.float32)[:, None] * inv[None, :]
    cos, sin = jnp.asarray(np.cos(ang))[:, None, :], jnp.asarray(np.sin(ang))[:, None, :]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return jnp.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], axis=-1).reshape(x.shape)


def forward(params, ids):
    b, t = ids.shape
    h = params["emb"][ids]
    mask = jnp.tril(jnp.ones((t, t), bool))
    for L in params["layers"]:
        x = rms(h, L["attn_norm"])
        q = rope((x @ L["wq"]).reshape(b, t, HEADS, HD))
        k = rope((x @ L["wk"]).reshape(b, t, HEADS, HD))
        v = (x @ L["wv"]).reshape(b, t, HEADS, HD)
        s = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(HD)
        s = jnp.where(mask, s, -1e9)
        a = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(s, axis=-1), v).reshape(b, t, D)
        h = h + a @ L["wo"]
        x = rms(h, L["ffn_norm"])
        h = h + (jax.nn.silu(x @ L["w_gate"]) * (x @ L["w_up"])) @ L["w_down"]
    return rms(h, params["out_norm"]) @ params["out"]


def loss_fn(params, x, m):
    logits = forward(params, x[:, :-1])
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, x[:, 1:])
    right = (jnp.argmax(logits, -1) == x[:, 1:]).astype(jnp.float32)
    return jnp.sum(ce * m) / jnp.sum(m), jnp.sum(right * m) / jnp.sum(m)


# --- GGUF export ---------------------------------------------------------------------------

CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
    "{%- if message['role'] == 'assistant' and message['reasoning_content'] is defined and message['reasoning_content'] -%}"
    "{{- '<think>\\n' + message['reasoning_content'] + '</think>\\n\\n' -}}"
    "{%- endif -%}"
    "{{- message['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}"
    # Thinking off (chat_template_kwargs.enable_thinking=false) closes the block at once.
    "{%- if enable_thinking is defined and not enable_thinking -%}{{- '<think>\\n</think>\\n\\n' -}}"
    "{%- else -%}{{- '<think>' -}}{%- endif -%}{%- endif -%}"
)


def export(params, path: str) -> None:
    import gguf

    w = gguf.GGUFWriter(path, "llama")
    w.add_name("thinkcap arith-think")
    w.add_context_length(CTX)
    w.add_embedding_length(D)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(HEADS)
    w.add_layer_norm_rms_eps(EPS)
    w.add_rope_freq_base(ROPE_BASE)
    w.add_rope_dimension_count(HD)
    w.add_vocab_size(len(VOCAB))
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("llama")
    w.add_token_list([t for t, _ in VOCAB])
    w.add_token_scores([0.0] * len(VOCAB))
    w.add_token_types([ty for _, ty in VOCAB])
    w.add_unk_token_id(ID["<unk>"])
    w.add_bos_token_id(ID["<s>"])
    w.add_eos_token_id(ID["<|im_end|>"])
    w.add_pad_token_id(ID["</s>"])
    w.add_add_bos_token(False)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(False)
    w.add_chat_template(CHAT_TEMPLATE)
    f32 = lambda a: np.ascontiguousarray(np.asarray(a, dtype=np.float32))  # noqa: E731
    # GGUF stores a matrix as torch does (out, in); ours are (in, out).
    w.add_tensor("token_embd.weight", f32(params["emb"]))
    for i, L in enumerate(params["layers"]):
        w.add_tensor(f"blk.{i}.attn_norm.weight", f32(L["attn_norm"]))
        w.add_tensor(f"blk.{i}.attn_q.weight", f32(L["wq"].T))
        w.add_tensor(f"blk.{i}.attn_k.weight", f32(L["wk"].T))
        w.add_tensor(f"blk.{i}.attn_v.weight", f32(L["wv"].T))
        w.add_tensor(f"blk.{i}.attn_output.weight", f32(L["wo"].T))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", f32(L["ffn_norm"]))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", f32(L["w_gate"].T))
        w.add_tensor(f"blk.{i}.ffn_up.weight", f32(L["w_up"].T))
        w.add_tensor(f"blk.{i}.ffn_down.weight", f32(L["w_down"].T))
    w.add_tensor("output_norm.weight", f32(params["out_norm"]))
    w.add_tensor("output.weight", f32(params["out"].T))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def load_gguf(path: str) -> dict:
    """Weights back from a GGUF this script wrote (to train on from there: --resume)."""
    import gguf

    t = {x.name: np.array(x.data, dtype=np.float32).reshape([int(d) for d in reversed(x.shape)]) for x in gguf.GGUFReader(path).tensors}
    j = lambda a: jnp.asarray(a)  # noqa: E731
    layers = [
        {
            "attn_norm": j(t[f"blk.{i}.attn_norm.weight"]), "wq": j(t[f"blk.{i}.attn_q.weight"].T), "wk": j(t[f"blk.{i}.attn_k.weight"].T),
            "wv": j(t[f"blk.{i}.attn_v.weight"].T), "wo": j(t[f"blk.{i}.attn_output.weight"].T), "ffn_norm": j(t[f"blk.{i}.ffn_norm.weight"]),
            "w_gate": j(t[f"blk.{i}.ffn_gate.weight"].T), "w_up": j(t[f"blk.{i}.ffn_up.weight"].T), "w_down": j(t[f"blk.{i}.ffn_down.weight"].T),
        }
        for i in range(LAYERS)
    ]
    return {"emb": j(t["token_embd.weight"]), "layers": layers, "out_norm": j(t["output_norm.weight"]), "out": j(t["output.weight"].T)}


# --- training ------------------------------------------------------------------------------

# Sequence length per kind: the longest example of that kind fits.
SEQ = {"short": 240, "long": 328, "mul": 320}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30.0, help="wall-clock training time")
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--schedule", type=lambda s: s.split(","), default=["short", "long", "mul", "mul"], help="the kind of each batch, in turn")
    ap.add_argument("--cut-share", type=float, default=0.25, help="share of examples whose checks a budget cuts short")
    ap.add_argument("--resume", help="start from the weights of a GGUF this script wrote")
    ap.add_argument("--warmup", type=int, default=200, help="steps of linear learning-rate warmup")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "arith-think.gguf"))
    args = ap.parse_args()

    rng = random.Random(args.seed)
    held = {p.question for p in tasks.heldout()}
    for kind in tasks.KINDS:
        longest = max(len(example(tasks.sample(random.Random(i), kind), random.Random(0))[0]) for i in range(2000))
        assert longest <= SEQ[kind] + 1, (kind, longest)

    params = load_gguf(args.resume) if args.resume else init(jax.random.PRNGKey(args.seed))
    n = sum(int(np.prod(a.shape)) for a in jax.tree_util.tree_leaves(params))
    print(f"parameters: {n:,}", flush=True)
    # Steps are unknown in advance (the run is timed): a long flat rate after warmup, decayed by
    # time in the last quarter.
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.inject_hyperparams(optax.adamw)(learning_rate=args.lr, weight_decay=0.01))
    state = opt.init(params)

    @jax.jit
    def step(params, state, x, m, lr):
        (loss, acc), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, m)
        state[1].hyperparams["learning_rate"] = lr
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss, acc

    t0 = time.time()
    budget = args.minutes * 60
    i = 0
    while True:
        elapsed = time.time() - t0
        if elapsed > budget:
            break
        kind = args.schedule[i % len(args.schedule)]
        probs = []
        while len(probs) < args.batch:
            p = tasks.sample(rng, kind)
            if p.question not in held:
                probs.append(p)
        x, m = batch(probs, rng, SEQ[kind], args.cut_share)
        frac = elapsed / budget
        lr = args.lr * min(1.0, (i + 1) / max(1, args.warmup)) * (1.0 if frac < 0.75 else max(0.05, (1 - frac) / 0.25))
        params, state, loss, acc = step(params, state, jnp.asarray(x), jnp.asarray(m), jnp.float32(lr))
        if i % 100 == 0:
            print(f"step {i:5d} {elapsed:6.0f}s {kind:5s} loss {float(loss):.4f} token acc {float(acc):.4f} lr {lr:.2e}", flush=True)
        i += 1
    print(f"trained {i} steps in {time.time() - t0:.0f} s", flush=True)
    export(params, args.out)
    print(f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
