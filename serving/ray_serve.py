"""The models on Ray Serve: one deployment per model family, and the front end's stand-ins for them.

Started from serve_config.yaml (`serve deploy serve_config.yaml` on a running cluster), each family
is an application of its own ("word-vectors", "language-model", "sentiment": the tasks of the
manifests) whose replicas load every model of that family from the weights folder, verified as
the app verifies it. A Gradio front end started with MODELS_ON_RAY=<cluster address> builds its
tabs as usual, but each model object is a RemoteModel: the same attributes, and every method call
a request to the family's deployment through a DeploymentHandle, so the answers are the
in-process code's own. Generators (the language models' generation) stream token by token.

Concurrent requests to one replica are batched (@serve.batch): perplexities of one model share
one onnxruntime run over the padded batch (a recurrent model reads left to right, so padding after
a text changes none of its scores); other calls in a batch run one after the other, which saves
only the per-call overhead. Requires the optional `ray[serve]` (requirements-scale.txt).
"""
import inspect
import os
import socket

import gradio as gr
import numpy as np
import ray
from ray import serve
from ray.exceptions import RayActorError, RayTaskError

from serving.language_model import CHUNK_TOKENS, LanguageModel, log_softmax
from serving.preload import LOADERS
from serving.weights import DEFAULT_WEIGHTS_DIR, load_all
BATCH_SIZE, BATCH_WAIT_S = 16, 0.002


class FamilyModels:
    """A replica: every model of one family (task), by name."""

    def __init__(self, task: str, batching: bool = True):
        manifests = load_all(os.environ.get("WEIGHTS_DIR", DEFAULT_WEIGHTS_DIR))
        self.models = {name: LOADERS[task](m) for name, m in manifests.items() if m["task"] == task}
        self.batching = batching

    def attributes(self, name: str) -> dict:
        """What a RemoteModel copies once: the plain values the tabs read (vocabulary, manifest,
        gate names, ...) and which methods are generators."""
        model = self.models[name]
        properties = [k for k, v in inspect.getmembers(type(model)) if isinstance(v, property)]
        values = {**vars(model), **{k: getattr(model, k) for k in properties}}   # gensim's vocabulary: a property
        plain = {k: v for k, v in values.items() if not k.startswith("_")
                 and isinstance(v, str | int | float | bool | list | tuple | dict | type(None))}
        streams = [k for k, v in inspect.getmembers(type(model)) if inspect.isgeneratorfunction(v)]
        return {"values": plain, "streams": streams}

    async def call(self, name: str, method: str, args: tuple, kwargs: dict):
        if self.batching:
            return unwrap(await self.batched((name, method, args, kwargs)))
        return getattr(self.models[name], method)(*args, **kwargs)

    def stream(self, name: str, method: str, args: tuple, kwargs: dict):
        yield from getattr(self.models[name], method)(*args, **kwargs)

    @serve.batch(max_batch_size=BATCH_SIZE, batch_wait_timeout_s=BATCH_WAIT_S)
    async def batched(self, requests: list[tuple]) -> list[tuple]:
        """(True, result) or (False, exception) per request: one request's bad input fails
        only that request."""
        answers = [None] * len(requests)
        texts = {}  # model name -> [(position, text)] of the plain perplexity calls
        for i, (name, method, args, kwargs) in enumerate(requests):
            if method == "perplexity" and len(args) == 1 and not kwargs:
                texts.setdefault(name, []).append((i, args[0]))
            else:
                answers[i] = attempt(getattr(self.models[name], method), *args, **kwargs)
        for name, items in texts.items():
            for (i, _), answer in zip(items, batch_perplexity(self.models[name], [t for _, t in items])):
                answers[i] = answer
        return answers


def attempt(fn, *args, **kwargs) -> tuple:
    try:
        return True, fn(*args, **kwargs)
    except Exception as err:  # returned to its own caller, raised there
        return False, err


def unwrap(answer: tuple):
    ok, value = answer
    if not ok:
        raise value
    return value


def batch_perplexity(lm: LanguageModel, texts: list[str]) -> list[tuple]:
    """LanguageModel.perplexity of each text, the texts run side by side: one onnxruntime run
    per chunk of positions for the whole batch, each text padded with <eos> after its end."""
    tokenized = [attempt(lm.tokens, text) for text in texts]
    answers = [None if ok else (False, err) for ok, err in tokenized]
    for i, (ok, tokens) in enumerate(tokenized):
        if ok and not tokens:
            answers[i] = attempt(lm.perplexity, texts[i])  # its own message for an empty text
    rows = [i for i, a in enumerate(answers) if a is None]
    if not rows:
        return answers
    seqs = [[lm.eos] + lm.ids(tokenized[i][1]) + [lm.eos] for i in rows]
    length = max(len(s) for s in seqs) - 1
    tokens = np.full((length, len(rows)), lm.eos, np.int64)
    for b, seq in enumerate(seqs):
        tokens[:len(seq) - 1, b] = seq[:-1]
    state = {n: np.zeros((shape[0], len(rows), shape[2]), np.float32) for n, shape in lm.state_shapes.items()}
    nll = [[] for _ in rows]
    for start in range(0, length, CHUNK_TOKENS):
        chunk = tokens[start:start + CHUNK_TOKENS]
        out = dict(zip(lm.outputs, lm.session.run(None, {"tokens": chunk, **state})))
        state = {n: out[f"{n}_out"] for n in state}
        log_p = log_softmax(out["logits"])                  # (positions, batch, vocab)
        for b, seq in enumerate(seqs):
            for t in range(start, min(start + len(chunk), len(seq) - 1)):
                nll[b].append(-log_p[t - start, b, seq[t + 1]])
    for b, i in enumerate(rows):
        answers[i] = (True, {"perplexity": float(np.exp(np.mean(nll[b]))), "tokens": len(seqs[b]) - 1,
                             "oov": lm.unknown(tokenized[i][1]), "warning": lm.unknown_warning(tokenized[i][1])})
    return answers


def build(args: dict):
    """The application of one family, serve_config.yaml's import_path: args {"task": a task of
    the manifests, "batching": true or false}."""
    return serve.deployment(FamilyModels).bind(args["task"], bool(args.get("batching", True)))


class RemoteModel:
    """A model object of the front end whose methods run in the family's deployment."""

    def __init__(self, handle, name: str):
        self._handle, self._name = handle, name
        described = call(lambda: handle.attributes.remote(name))
        self._streams = set(described["streams"])
        vars(self).update(described["values"])

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        if method in self._streams:
            stream = self._handle.options(stream=True).stream
            return lambda *args, **kwargs: streamed(stream.remote(self._name, method, args, kwargs))
        return lambda *args, **kwargs: call(lambda: self._handle.call.remote(self._name, method, args, kwargs))


RESTARTING = ("A model server is restarting; try again in a few seconds (the other requests "
              "are answered as usual).")


def call(send):
    """The replica's answer to send(), or the exception it raised as itself (an input error
    keeps its type and message; Ray's wrapper would show the replica's traceback to the user).
    Every method is a pure function of its arguments, so a request whose replica died is sent
    once more, to a live one."""
    for attempt_left in (True, False):
        try:
            return send().result()
        except RayTaskError as err:
            raise err.cause from None
        except RayActorError:
            if not attempt_left:
                raise gr.Error(RESTARTING) from None


def streamed(generator):
    """A stream cannot be resent once it has started: a dead replica ends it with a message."""
    try:
        yield from generator
    except RayTaskError as err:
        raise err.cause from None
    except RayActorError:
        raise gr.Error(RESTARTING) from None


class RayModels:
    """The front end's connection: a RemoteModel for each model, by the family's application."""

    def __init__(self, address: str):
        host, _, port = address.rpartition(":")
        try:  # ray.init retries an unreachable address for a minute; ask the port first
            socket.create_connection((host, int(port)), timeout=3).close()
        except (OSError, ValueError) as err:
            raise ConnectionError(f"no Ray cluster answers at {address} ({err}): start one "
                                  "(ray start --head, then serve deploy serve_config.yaml) or unset "
                                  "MODELS_ON_RAY to run the models in-process") from None
        ray.init(address=address, logging_level="ERROR", log_to_driver=False,
                 configure_logging=False)

    def model(self, task: str, name: str, application: str | None = None) -> RemoteModel:
        """The family's application is named for its task (serve_config.yaml)."""
        return RemoteModel(serve.get_app_handle(application or task), name)
