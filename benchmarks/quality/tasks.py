"""
The quality benchmark's task: arithmetic with a step-by-step scratchpad inside <think>…</think>.

Three kinds of mixed difficulty, so tiers matter:
  short  2-3 digit + 2-3 digit             about 40 thinking tokens of steps
  long   5-6 digit + 4-6 digit             about 65
  mul    2-3 digit * 2 digit               about 120 (two partial products, then their sum)

After the needed steps the scratchpad overthinks the way reasoning models do: it restates the
result in 2 to 6 "check" lines (the count follows the first operand's last digit, so it varies
from one query to the next, and at temperature 0 as well). The checks never change the answer, so
a cap that cuts only checks costs nothing, and a cap that cuts steps costs the answer.

The tokenizer is one character a token; every line below is plain ASCII.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

KINDS = ("short", "long", "mul")


@dataclass(frozen=True)
class Problem:
    kind: str
    a: int
    b: int

    @property
    def question(self) -> str:
        return f"{self.a}{'*' if self.kind == 'mul' else '+'}{self.b}"

    @property
    def answer(self) -> int:
        return self.a * self.b if self.kind == "mul" else self.a + self.b


def add_steps(x: int, y: int) -> tuple[list[str], int]:
    """One line a digit from the right: `a+b+carry=sum`; the next carry is the sum's tens digit."""
    xs, ys = str(x)[::-1], str(y)[::-1]
    lines, carry = [], 0
    for i in range(max(len(xs), len(ys))):
        a = int(xs[i]) if i < len(xs) else 0
        b = int(ys[i]) if i < len(ys) else 0
        s = a + b + carry
        lines.append(f"{a}+{b}+{carry}={s}")
        carry = s // 10
    if carry:
        lines.append(f"0+0+{carry}={carry}")
    return lines, x + y


def mul_steps(x: int, d: int, shift: int) -> list[str]:
    """x times one digit, a line a digit from the right: `a*d+carry=product`, then `=x*d` shifted."""
    lines, carry = [], 0
    for ch in str(x)[::-1]:
        p = int(ch) * d + carry
        lines.append(f"{ch}*{d}+{carry}={p}")
        carry = p // 10
    lines.append(f"={x * d * 10 ** shift}")
    return lines


def steps(p: Problem) -> list[str]:
    """The needed part of the scratchpad, ending with the result line `=N`."""
    if p.kind != "mul":
        lines, total = add_steps(p.a, p.b)
        return [*lines, f"={total}"]
    ones, tens = p.b % 10, p.b // 10
    first = mul_steps(p.a, ones, 0)
    second = mul_steps(p.a, tens, 1)
    lines, total = add_steps(p.a * ones, p.a * tens * 10)
    return [*first, *second, *lines, f"={total}"]


def checks(p: Problem) -> list[str]:
    """The overthinking: 2 to 6 redundant restatements of the result."""
    k = 2 + (p.a % 10) % 5
    return [f"check {i}: {p.question}={p.answer} ok" for i in range(1, k + 1)]


def thinking(p: Problem) -> str:
    """What the model writes after `<think>`: a newline, the steps, the checks, each line ended."""
    return "\n" + "".join(f"{line}\n" for line in steps(p) + checks(p))


def needed_chars(p: Problem) -> int:
    """Thinking up to and including the result line (one token a character)."""
    return len("\n" + "".join(f"{line}\n" for line in steps(p)))


def sample(rng: random.Random, kind: str) -> Problem:
    if kind == "short":
        return Problem(kind, rng.randint(10, 999), rng.randint(10, 999))
    if kind == "long":
        return Problem(kind, rng.randint(10_000, 999_999), rng.randint(1_000, 999_999))
    return Problem(kind, rng.randint(10, 999), rng.randint(10, 99))


def heldout(n_per_kind: int = 100, seed: int = 20261123) -> list[Problem]:
    """The fixed evaluation set; training never samples any of these questions."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[Problem] = []
    for kind in KINDS:
        got = 0
        while got < n_per_kind:
            p = sample(rng, kind)
            if p.question in seen:
                continue
            seen.add(p.question)
            out.append(p)
            got += 1
    return out


def tier_budgets(samples: int = 20_000, seed: int = 1) -> dict[str, int]:
    """The most thinking any query of a kind needs (the result line included), over the generator's range."""
    rng = random.Random(seed)
    return {kind: max(needed_chars(sample(rng, kind)) for _ in range(samples)) for kind in KINDS}


if __name__ == "__main__":
    # Writes the held-out set the benchmark and the tests read (python benchmarks/quality/tasks.py).
    import json
    import os

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "heldout.json")
    problems = [
        {"kind": p.kind, "question": p.question, "answer": str(p.answer), "neededTokens": needed_chars(p), "thinkingTokens": len(thinking(p))}
        for p in heldout()
    ]
    with open(out, "w") as f:
        json.dump({"neededByKind": tier_budgets(), "problems": problems}, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(problems)} problems")
