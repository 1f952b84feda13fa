"""Measure a shipped word-vector folder exactly as it is served (fp16 storage and vocabulary cap).

    python -m export.evaluate_vectors weights/word2vec
"""
import argparse
import json
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors

from export.analogy_onnx import stored_embeddings
from export.vectors_eval import evaluate


def load_folder_vectors(folder: str | Path) -> KeyedVectors:
    """The folder's vectors as gensim KeyedVectors, from either shipped format."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    if manifest["format"] == "word2vec-binary":
        return KeyedVectors.load_word2vec_format(str(folder / "vectors.bin"), binary=True)
    embeddings = stored_embeddings(folder / "model.onnx")
    words = (folder / manifest["vocabulary"]["file"]).read_text(encoding="utf-8").split()
    kv = KeyedVectors(embeddings.shape[1], count=0)
    kv.add_vectors(words, embeddings.astype(np.float32))
    return kv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    args = parser.parse_args()
    print(json.dumps(evaluate(load_folder_vectors(args.folder)), indent=2))


if __name__ == "__main__":
    main()
