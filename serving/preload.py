"""The weights verified and the models loaded in a thread while app.py imports gradio.

Importing gradio takes about 2.5 s of one core. Checking the weights' sha256 and creating the
onnxruntime sessions run mostly in C, without the GIL, so beside the import, on a second core,
they add almost nothing to the start-up. The tabs then take their models from
serving/model_choice.py's `loaded` instead of loading them again. (gensim's vectors are read
later still, once the server answers: serving/word_vectors.py.)
"""
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from serving.language_model import LanguageModel
from serving.sentiment import SentimentModel
from serving.word_vectors import load_word_vectors

LOADERS = {"word-vectors": load_word_vectors, "language-model": LanguageModel, "sentiment": SentimentModel}


def load_models(manifests: dict[str, dict]) -> dict[str, object]:
    return {name: LOADERS[m["task"]](m) for name, m in manifests.items() if m["task"] in LOADERS}


def start(read_manifests: Callable[[], dict[str, dict]], models: bool = True) -> Future:
    """A future of (manifests, {name: model}); read_manifests() verifies the weights and its
    exceptions (SystemExit included) come out of future.result(). models=False (the models run
    elsewhere) reads the manifests only."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="preload")

    def load() -> tuple[dict, dict]:
        manifests = read_manifests()
        return manifests, load_models(manifests) if models else {}
    future = pool.submit(load)
    pool.shutdown(wait=False)
    return future
