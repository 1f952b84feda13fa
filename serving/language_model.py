"""Word-level language models from weights/lm-*/: next-word distribution, perplexity, streamed
generation and gate activations, with onnxruntime and numpy only.

Text is conditioned as the corpus was written: a sentence starts after `<eos>`, so every prompt
is read as `<eos>` + its PTB tokens, and an empty prompt generates a fresh sentence. Generation
runs the prompt once and then feeds one token and the carried state per step.
"""
import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime as ort

from serving.errors import InputError
from serving.limits import check_text
from serving.onnx_session import make_session
from serving.plain_words import counted
from serving.weights import listed_file, read_vocab
from tokenization.ptb import ptb_tokens

TASK = "language-model"
MAX_NEW_TOKENS = 200
MAX_TOPN = 50
# per request: a run holds the logits of every position at once (10k floats each; 100,000
# characters of "a a a" made 50,000 tokens and 14 GB in /perplexity)
MAX_TOKENS = 1000
# a prompt runs through the graph this many tokens at a time, the state carried between chunks:
# the logits of a run are chunk x 10,000 floats, so the memory of a request does not grow with it
CHUNK_TOKENS = 100
STRATEGIES = ("greedy", "sample")
# logits are float32: dividing by a temperature outside this range overflows them to inf (and
# the probabilities to NaN) or flattens them to the uniform distribution
TEMPERATURE_RANGE = (0.01, 100.0)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """In float64: a rare word's log-probability keeps its digits."""
    logits = logits.astype(np.float64)
    top = logits.max(axis=-1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))


def check_topn(topn: int, low: int) -> None:
    if not low <= topn <= MAX_TOPN:
        raise InputError(f"topn must be between {low} and {MAX_TOPN} (got {topn}).")


def pick(logits: np.ndarray, rng: np.random.Generator | None, temperature: float = 1.0,
         top_k: int = 0, top_p: float = 1.0) -> int:
    """Greedy (rng None) or a sample from the temperature-scaled distribution restricted to the
    top_k words (0: all) and then to the smallest set whose probability reaches top_p."""
    if rng is None:
        return int(np.argmax(logits))
    if 0 < top_k < len(logits):   # the top_k found without sorting all 10,000 (1.6 ms a token)
        order = np.argpartition(-logits, top_k - 1)[:top_k]
        order = order[np.argsort(-logits[order], kind="stable")]
    else:
        order = np.argsort(-logits, kind="stable")
    p = softmax(logits[order] / temperature)
    keep = int(np.searchsorted(np.cumsum(p), top_p)) + 1
    order, p = order[:keep], p[:keep]
    return int(order[rng.choice(len(order), p=p / p.sum())])


def check_sampling(max_new_tokens: int, strategy: str, temperature: float, top_k: int, top_p: float,
                   seed: int = 0) -> None:
    if not 1 <= max_new_tokens <= MAX_NEW_TOKENS:
        raise InputError(f"max_new_tokens must be between 1 and {MAX_NEW_TOKENS} (got {max_new_tokens}).")
    if strategy not in STRATEGIES:
        raise InputError(f"strategy must be one of {', '.join(STRATEGIES)} (got {strategy!r}).")
    if strategy == "sample":
        low, high = TEMPERATURE_RANGE
        if not low <= temperature <= high:
            raise InputError(f"temperature must be between {low} and {high:g} (got {temperature}); use "
                             "strategy 'greedy' for the single most likely continuation.")
        if top_k < 0:
            raise InputError(f"top_k must be 0 (no limit) or a positive number of words (got {top_k}).")
        if not 0 < top_p <= 1:
            raise InputError(f"top_p must be in (0, 1] (got {top_p}).")
        if seed < 0:
            raise InputError(f"seed must be 0 or a positive whole number (got {seed}).")


class Stepper:
    """step(token) -> the next logits, feeding one token and the carried state: generation's
    loop. Two sets of buffers, bound once, hold the state in turn (onnxruntime writes the new
    state where the old one is not), so a token costs one run and no new arrays. The buffers
    live as long as this object (onnxruntime only points at them). The logits returned are
    overwritten by the next step."""

    def __init__(self, session: ort.InferenceSession, state: dict[str, np.ndarray]):
        self.session, self.token = session, np.zeros((1, 1), np.int64)
        self.states = [{n: np.array(a) for n, a in state.items()},
                       {n: np.empty_like(a) for n, a in state.items()}]
        self.outputs = {o.name: np.empty([1 if isinstance(d, str) else d for d in o.shape], np.float32)
                        for o in session.get_outputs() if o.name.removesuffix("_out") not in state}
        self.logits = self.outputs["logits"][0, 0]
        self.turns = itertools.cycle([self.binding(*self.states), self.binding(*self.states[::-1])])

    def binding(self, now: dict, after: dict) -> ort.IOBinding:
        binding = self.session.io_binding()
        for name, array in {"tokens": self.token, **now}.items():
            binding.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(array))
        for name, array in (self.outputs | {f"{n}_out": a for n, a in after.items()}).items():
            binding.bind_ortvalue_output(name, ort.OrtValue.ortvalue_from_numpy(array))
        return binding

    def __call__(self, token: int) -> np.ndarray:
        self.token[0, 0] = token
        self.session.run_with_iobinding(next(self.turns))
        return self.logits


class LanguageModel:
    def __init__(self, manifest: dict):
        folder = Path(manifest["folder"])
        self.name, self.cell, self.manifest = manifest["name"], manifest["cell"], manifest
        self.session = make_session(listed_file(manifest, "model.onnx"))
        self.gates_session = (make_session(listed_file(manifest, "gates.onnx"))
                              if manifest.get("gates") else None)
        self.gate_names = manifest.get("gates", [])
        self.vocab = read_vocab(listed_file(manifest, "vocab.txt").parent)
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.eos, self.unk = self.index["<eos>"], self.index["<unk>"]
        self.outputs = [o.name for o in self.session.get_outputs()]
        self.state_shapes = {i.name: (i.shape[0], 1, i.shape[2]) for i in self.session.get_inputs()
                             if i.name != "tokens"}

    def tokens(self, text: str) -> list[str]:
        """The text's PTB tokens, at most MAX_TOKENS of them."""
        tokens = ptb_tokens(check_text(text), self.index)
        if len(tokens) > MAX_TOKENS:
            raise InputError(f"Text too long: {len(tokens):,} words and punctuation marks "
                             f"(the limit is {MAX_TOKENS:,}).")
        return tokens

    def ids(self, tokens: list[str]) -> list[int]:
        """Token ids, unknown words as <unk>."""
        return [self.index.get(t, self.unk) for t in tokens]

    def encode(self, text: str) -> tuple[list[int], list[str]]:
        """Token ids of the text and the unknown words themselves."""
        tokens = self.tokens(text)
        return self.ids(tokens), [t for t in tokens if t not in self.index]

    def unknown(self, tokens: list[str]) -> int:
        return sum(t not in self.index for t in tokens)

    def unknown_warning(self, tokens: list[str]) -> str:
        """"" unless half or more of the text's words (its tokens with a letter or digit; not the
        <eos> scored() adds) are unknown: read as <unk>, they leave a perplexity that says little."""
        words = [t for t in tokens if any(c.isalnum() for c in t)]
        unknown = self.unknown(words)
        if not words or 2 * unknown < len(words):
            return ""
        return (f"Unknown to the model: {unknown} of the text's {counted(len(words), 'word')}, read as <unk>. "
                f"It reads English only, the {len(self.vocab):,} commonest words of 1989 Wall Street Journal "
                "news (the Penn Treebank), so this perplexity says little about the text.")

    def initial_state(self) -> dict[str, np.ndarray]:
        return {n: np.zeros(shape, np.float32) for n, shape in self.state_shapes.items()}

    def run(self, ids: list[int], state: dict) -> tuple[dict, dict]:
        """Feed ids at batch 1; every output by name, and the state after the last id."""
        out = dict(zip(self.outputs, self.session.run(
            None, {"tokens": np.array(ids, np.int64)[:, None], **state})))
        return out, {n: out[f"{n}_out"] for n in state}

    def chunks(self, ids: list[int]) -> Iterator[tuple[np.ndarray, dict]]:
        """(the logits after each id of a chunk, the state after the chunk), CHUNK_TOKENS ids at
        a time from a fresh state: the same numbers as one run over all of them."""
        state = self.initial_state()
        for start in range(0, len(ids), CHUNK_TOKENS):
            out, state = self.run(ids[start:start + CHUNK_TOKENS], state)
            yield out["logits"][:, 0], state

    def last_logits(self, ids: list[int]) -> tuple[np.ndarray, dict]:
        """The logits after the last id and the state after it."""
        for logits, state in self.chunks(ids):
            pass
        return logits[-1], state

    def prompt_ids(self, prompt: str) -> list[int]:
        ids, unknown = self.encode(prompt)
        if ids and len(unknown) == len(ids):
            raise InputError(f"None of the prompt's words is in the {len(self.vocab):,}-word Penn "
                             f"Treebank vocabulary ({', '.join(w[:30] for w in unknown[:10])}); try everyday "
                             "business-news English.")
        return [self.eos] + ids

    def likeliest(self, log_p: np.ndarray, topn: int) -> list[dict]:
        """The topn likeliest words of a log-probability row, <unk> left out: the model is never
        made to say it (generation skips it too)."""
        best = np.argpartition(-log_p, topn)[:topn + 1]
        best = [i for i in best[np.argsort(-log_p[best], kind="stable")] if i != self.unk][:topn]
        return [{"word": self.vocab[i], "probability": float(np.exp(log_p[i]))} for i in best]

    def next_word(self, prompt: str, topn: int = 10) -> list[dict]:
        check_topn(topn, 1)
        logits, _ = self.last_logits(self.prompt_ids(prompt))
        return self.likeliest(log_softmax(logits), topn)

    def scored(self, text: str) -> tuple[list[str], list[int], Iterator[np.ndarray]]:
        """(the text's tokens and the <eos> that ends it, their ids, the log-probability rows that
        predict them one by one, read after an <eos>): what perplexity and token_scores share."""
        tokens = self.tokens(text)
        if not tokens:
            raise InputError("Enter some text to score: this has no words the models read (punctuation and symbols are left out).")
        ids = self.ids(tokens) + [self.eos]
        rows = (row for logits, _ in self.chunks([self.eos] + ids[:-1]) for row in log_softmax(logits))
        return tokens + ["<eos>"], ids, rows

    def perplexity(self, text: str) -> dict:
        """Perplexity of the text's tokens and the <eos> that ends it, read after an <eos>; a
        warning when the text is mostly words the model does not know ("" when not)."""
        tokens, ids, rows = self.scored(text)
        nll = [-log_p[i] for i, log_p in zip(ids, rows)]
        return {"perplexity": float(np.exp(np.mean(nll))), "tokens": len(ids), "oov": self.unknown(tokens),
                "warning": self.unknown_warning(tokens[:-1])}

    def token_scores(self, text: str, topn: int = 5) -> dict:
        """Each token with the probability the model gave it after the tokens before it, its rank
        among the vocabulary (1: the model's first choice), its cross-entropy -ln p (perplexity is
        exp of their mean) and the topn words the model found likeliest there. <unk> is no word
        it could say: it is left out of the ranks as of the alternatives."""
        check_topn(topn, 0)
        tokens, ids, rows = self.scored(text)
        scores = []
        for token, i, log_p in zip(tokens, ids, rows):
            above = log_p > log_p[i]
            above[self.unk] = False
            scores.append({"token": token, "in_vocabulary": token in self.index,
                           "probability": float(np.exp(log_p[i])), "rank": int(above.sum()) + 1,
                           "cross_entropy": float(-log_p[i]), "alternatives": self.likeliest(log_p, topn)})
        return {"tokens": scores, "perplexity": float(np.exp(np.mean([s["cross_entropy"] for s in scores]))),
                "oov": self.unknown(tokens), "warning": self.unknown_warning(tokens[:-1])}

    def generate(self, prompt: str, max_new_tokens: int = 50, strategy: str = "greedy",
                 temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                 seed: int = 0) -> Iterator[str]:
        """Yield new PTB tokens one at a time; <unk> is never chosen."""
        check_sampling(max_new_tokens, strategy, temperature, top_k, top_p, seed)
        rng = np.random.default_rng(seed) if strategy == "sample" else None
        logits, state = self.last_logits(self.prompt_ids(prompt))
        step = Stepper(self.session, state)
        for _ in range(max_new_tokens):
            logits[self.unk] = -np.inf
            token = pick(logits, rng, temperature, top_k, top_p)
            yield self.vocab[token]
            logits = step(token)

    def gates(self, prompt: str) -> dict:
        """Mean gate activation per layer, gate and prompt token (each token's gates while the
        model reads it), from model.onnx stepped over the prompt and gates.onnx."""
        if self.gates_session is None:
            raise InputError(f"{self.name} is a vanilla RNN: it has no gates.")
        ids, _ = self.encode(prompt)
        if not ids:
            raise InputError("Enter a prompt to see the gates at work.")
        state, embedded, before, after = self.initial_state(), [], [], []
        for i in [self.eos] + ids:
            out, new_state = self.run([i], state)
            embedded.append(out["embedded"][0])
            before.append(state["h"])
            after.append(new_state["h"])
            state = new_state
        h_prev = np.stack(before, axis=1)  # (layers, seq, 1, hidden)
        h_now = np.stack(after, axis=1)
        inputs = np.concatenate([np.stack(embedded)[None], h_now[:-1]])
        # a token's gates depend on its own inputs and h_prev only: CHUNK_TOKENS positions a run
        # keep the graph's intermediates (4 x hidden per position and layer) small
        gates = np.concatenate([self.gates_session.run(None, {
            "inputs": inputs[:, start:start + CHUNK_TOKENS], "h_prev": h_prev[:, start:start + CHUNK_TOKENS]})[0]
            for start in range(0, inputs.shape[1], CHUNK_TOKENS)], axis=1)
        return {"tokens": [self.vocab[i] for i in ids], "gates": self.gate_names,
                "values": gates[:, 1:, 0, :].tolist()}  # (layers, tokens, gates), after the start <eos>

