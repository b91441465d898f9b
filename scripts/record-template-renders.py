"""
Records how real chat templates render the assistant message a vLLM continuation prefills, through
HF transformers' own continue_final_message (what vLLM's chat endpoint calls), as a test fixture:
test/fixtures/templates/continue-final-message.json. The emulator's vLLM chat templates
(EmulatorOptions.chatTemplate) and the forms thinkcap sends are held to it.

And the generation prompt of every template there (add_generation_prompt, one user message), as
it is and with thinking switched off (chat_template_kwargs enable_thinking / thinking false),
with its rendering of a finished assistant turn (thinking and answer) and of thinkcap's probe of
its thinking format (think-prompt.ts FORMAT_PROBE): test/fixtures/templates/generation-prompts.json.
Which templates open a think block there, and which close it when thinking is off, is what
backends[].thinkPrefilled says (true / always); the raw continuation's thinking format is held to
the finished turns.

    python3 -m venv /tmp/tpl && /tmp/tpl/bin/pip install transformers==5.25.0 jinja2==3.1.6
    /tmp/tpl/bin/python scripts/record-template-renders.py

The templates are the real models' ones that llama.cpp keeps in models/templates/, taken from the
llama.cpp tree vendored in the pinned llama-cpp-python sdist (the one scripts/install-llama.sh
builds). No model runs; nothing is tokenized.
"""

import json
import os
import subprocess
import sys
import tarfile
import tempfile

import transformers
from transformers.utils.chat_template_utils import render_jinja_template

LLAMA_CPP_PYTHON_VERSION = "0.3.36"
TEMPLATES = [
    "Qwen-Qwen3-0.6B",
    "Qwen3.5-4B",
    "Qwen-QwQ-32B",
    "MiniMax-M2",
    "GLM-4.6",
    "GLM-4.7-Flash",
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B",
    "deepseek-ai-DeepSeek-V3.1",
    "NVIDIA-Nemotron-3-Nano-30B-A3B-BF16",
    "ByteDance-Seed-OSS",
]
THINKING = "Let me add them"
QUESTION = "What is 1+2?"


def forms(answer):
    """The assistant messages: thinkcap's two (a trimmed think block, the reasoning field) and the untrimmed block it sent before."""
    return {
        "think-block": {"role": "assistant", "content": f"<think>\n{THINKING}\n</think>\n\n{answer}"},
        "think-block-untrimmed": {"role": "assistant", "content": f"<think>\n\n{THINKING}\n\n</think>\n\n{answer}"},
        "reasoning": {"role": "assistant", "reasoning": THINKING, "reasoning_content": THINKING, "content": answer},
    }


def main():
    out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "templates", "continue-final-message.json")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}", "--no-deps", "--no-binary", ":all:", "-d", tmp], check=True)
        sdist = os.path.join(tmp, f"llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}.tar.gz")
        prefix = f"llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}/vendor/llama.cpp/models/templates/"
        sources = {}
        with tarfile.open(sdist) as tar:
            for name in TEMPLATES:
                sources[name] = tar.extractfile(prefix + name + ".jinja").read().decode("utf-8")
            every = {}
            for member in tar.getmembers():
                if member.name.startswith(prefix) and member.name.endswith(".jinja"):
                    every[member.name[len(prefix):-len(".jinja")]] = tar.extractfile(member).read().decode("utf-8")
    record_generation_prompts(every)
    cases = []
    for name in TEMPLATES:
        for answer in ["", "The sum"]:
            for form, message in forms(answer).items():
                # vLLM passes a message's reasoning to the template as both reasoning and reasoning_content.
                conversation = [{"role": "user", "content": QUESTION}, message]
                case = {"template": name, "form": form, "answer": answer, "message": message}
                try:
                    rendered = render_jinja_template([conversation], chat_template=sources[name], continue_final_message=True, add_generation_prompt=False, bos_token="<s>", eos_token="</s>")
                    while isinstance(rendered, (list, tuple)):
                        rendered = rendered[0]
                    # What follows the question: the assistant turn as rendered.
                    case["ok"] = True
                    case["assistant"] = rendered[rendered.rindex(QUESTION) + len(QUESTION):]
                except Exception as e:  # noqa: BLE001 - the refusal is what is recorded
                    case["ok"] = False
                    case["error"] = str(e).split("\n")[0][:160]
                cases.append(case)
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"transformers": transformers.__version__, "llamaCppPython": LLAMA_CPP_PYTHON_VERSION, "thinking": THINKING, "cases": cases}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(cases)} renders, {sum(not c['ok'] for c in cases)} refused: {os.path.normpath(out_path)}")


SWITCHES = {
    "default": {},
    "enable_thinking=false": {"enable_thinking": False},
    "thinking=false": {"thinking": False},
    # What thinkcap sends at a zero budget (src/backends/openai.ts disableThinking).
    "thinkcap zero budget": {"enable_thinking": False, "thinking": False, "reasoning": False, "thinking_budget": 0},
}
# thinkcap's probe of a template's thinking format (src/backends/think-prompt.ts FORMAT_PROBE).
PROBE = {"question": "thinkcap-probe-question", "reasoning": "thinkcap-probe-reasoning", "answer": "thinkcap-probe-answer", "next": "thinkcap-probe-next"}
FINISHED_ANSWER = "The sum is 3"


def render(source, conversation, add_generation_prompt, **kwargs):
    rendered = render_jinja_template([conversation], chat_template=source, add_generation_prompt=add_generation_prompt, bos_token="<s>", eos_token="</s>", **kwargs)
    while isinstance(rendered, (list, tuple)):
        rendered = rendered[0]
    return rendered


def record_generation_prompts(sources):
    """What each template renders after a user message with add_generation_prompt: the generation prompt."""
    out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "templates", "generation-prompts.json")
    templates = {}
    for name in sorted(sources):
        row = {}
        for label, kwargs in SWITCHES.items():
            try:
                rendered = render(sources[name], [{"role": "user", "content": QUESTION}], True, **kwargs)
                row[label] = rendered[rendered.rindex(QUESTION) + len(QUESTION):]
            except Exception as e:  # noqa: BLE001 - a template that needs arguments of its own
                row[label] = None
                row.setdefault("errors", {})[label] = str(e).split("\n")[0][:160]
        # A finished assistant turn, last (its own rendering of thinking and answer), and the probe.
        finished = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": FINISHED_ANSWER, "reasoning_content": THINKING, "reasoning": THINKING}]
        probe = [{"role": "user", "content": PROBE["question"]}, {"role": "assistant", "content": PROBE["answer"], "reasoning_content": PROBE["reasoning"]}, {"role": "user", "content": PROBE["next"]}]
        # What vLLM renders for thinkcap's two continuation forms (HF's continue_final_message).
        for label, message in forms("The sum").items():
            if label == "think-block-untrimmed":
                continue
            try:
                rendered = render(sources[name], [{"role": "user", "content": QUESTION}, message], False, continue_final_message=True)
                row["continued " + label] = rendered[rendered.rindex(QUESTION) + len(QUESTION):]
            except Exception as e:  # noqa: BLE001 - the refusal (vLLM's 400) is what is recorded
                row["continued " + label] = None
                row.setdefault("errors", {})["continued " + label] = str(e).split("\n")[0][:160]
        for label, conversation in [("finished", finished), ("probe", probe)]:
            try:
                rendered = render(sources[name], conversation, False)
                row[label] = rendered[rendered.rindex(conversation[0]["content"]) + len(conversation[0]["content"]):]
            except Exception as e:  # noqa: BLE001
                row[label] = None
                row.setdefault("errors", {})[label] = str(e).split("\n")[0][:160]
        templates[name] = row
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"transformers": transformers.__version__, "llamaCppPython": LLAMA_CPP_PYTHON_VERSION, "question": QUESTION, "thinking": THINKING, "answer": FINISHED_ANSWER, "probe": PROBE, "templates": templates}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(templates)} templates' generation prompts: {os.path.normpath(out_path)}")


if __name__ == "__main__":
    main()
