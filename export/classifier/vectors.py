"""Pretrained word vectors for the classifier's vocabulary.

The skip-gram vectors are text8-normalised (lower-case a-z, digits spelled out); an SST token that
is not a vector word as it stands is looked up through tokenization.wiki.text8_tokens ("1990" ->
the mean of "one nine nine zero"); one with no vector at all ("n't") keeps Kim's random init.

Three file kinds are read: our word-vector export (`model.onnx` with its `embeddings` initializer
and `vocab.txt` beside it), word2vec binary (gensim), and the `.safetensors` subset this module
writes for machines without gensim or onnx (`python -m export.classifier.vectors`).
"""
import argparse
from pathlib import Path

import numpy as np
import torch

from export.classifier.data import load_mr, load_sst2
from export.corpora import DEFAULT_DATA_DIR
from tokenization.wiki import text8_tokens

VECTORS = "weights/word2vec/model.onnx"


def read_vectors(path: str | Path) -> tuple[list[str], np.ndarray]:
    """(words, [len(words), dim] matrix) in the file's row order."""
    path = Path(path)
    if path.suffix == ".onnx":  # each file kind's reader only when needed (see above)
        from export.word2vec.from_onnx import word_vectors
        return word_vectors(path.parent)
    if path.suffix == ".safetensors":
        from safetensors import safe_open
        with safe_open(str(path), framework="np") as f:
            return f.metadata()["words"].split("\n"), f.get_tensor("vectors")
    from gensim.models import KeyedVectors
    kv = KeyedVectors.load_word2vec_format(str(path), binary=True)
    return list(kv.index_to_key), kv.vectors


def vectors_source(path: str | Path) -> str:
    """The file a set of vectors came from (a subset names its source)."""
    if Path(path).suffix == ".safetensors":
        from safetensors import safe_open
        with safe_open(str(path), framework="np") as f:
            return f"{f.metadata()['source']} (via {Path(path).name})"
    return str(path)


def vectors_for(vocab: list[str], words: list[str], matrix: np.ndarray) -> np.ndarray:
    """float32 [len(vocab), dim]; rows of tokens without any vector stay zero."""
    index = {w: i for i, w in enumerate(words)}
    out = np.zeros((len(vocab), matrix.shape[1]), np.float32)
    for row, token in enumerate(vocab):
        if token in index:
            out[row] = matrix[index[token]]
            continue
        found = [index[w] for w in text8_tokens(token) if w in index]
        if found:
            out[row] = matrix[found].astype(np.float32).mean(axis=0)
    return out


def pretrained(kind: str, vocab: list[str], source) -> tuple[torch.Tensor | None, int]:
    """(vectors for vocab or None, how many vocab words got a vector)."""
    if kind == "cnn-rand" or source is None:
        return None, 0
    rows = vectors_for(vocab, *source)
    return torch.from_numpy(rows), int((np.abs(rows).sum(axis=1) > 0).sum())


def write_subset(vectors_path: str | Path, tokens: list[str], out: str | Path,
                 top: int = 0) -> int:
    """Save (fp16) the vectors of the file's `top` most frequent words (its first rows), then
    of the other `tokens` that have one, words in the metadata; returns the number of rows."""
    from safetensors.numpy import save_file
    words, matrix = read_vectors(vectors_path)
    first = set(words[:top])
    rest = [t for t in tokens if t not in first]
    rows = vectors_for(rest, words, matrix)
    found = np.abs(rows).sum(axis=1) > 0
    kept = words[:top] + [w for w, keep in zip(rest, found) if keep]
    save_file({"vectors": np.concatenate([matrix[:top], rows[found]]).astype(np.float16)},
              str(out), metadata={"words": "\n".join(kept), "source": str(vectors_path)})
    return len(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the vectors the classifiers can use: "
                                     "the most frequent words, then every SST-2/MR token.")
    parser.add_argument("--vectors", default="weights/word2vec/model.onnx")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--top", type=int, default=20000,
                        help="keep this many most frequent words first (for --extra-vocab)")
    parser.add_argument("--out", default=".gpu_data/vectors.safetensors")
    args = parser.parse_args()
    sentences = [t for split in load_sst2(args.data_dir).values() for t, _ in split]
    sentences += [t for t, _ in load_mr(args.data_dir)]
    tokens = sorted({token for tokens in sentences for token in tokens})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    print(f"{write_subset(args.vectors, tokens, args.out, args.top)} rows -> {args.out}")


if __name__ == "__main__":
    main()
