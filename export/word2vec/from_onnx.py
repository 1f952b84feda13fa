"""Our word vectors read back from a shipped folder's model.onnx: what the evaluation, the
benchmarks and the other families start from (the classifiers' pretrained vectors come through
word_vectors, the one way across families)."""
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from serving.weights import read_vocab


def stored_embeddings(model_path: str | Path) -> np.ndarray:
    """The fp16 unit rows [V, d] a word-vector model.onnx stores as its initializer `embeddings`."""
    graph = onnx.load(str(model_path)).graph
    return next(numpy_helper.to_array(t) for t in graph.initializer if t.name == "embeddings")


def word_vectors(folder: str | Path) -> tuple[list[str], np.ndarray]:
    """(words, their fp16 unit vectors [V, d]) of a word2vec weights folder, in id order."""
    return read_vocab(folder), stored_embeddings(Path(folder) / "model.onnx")
