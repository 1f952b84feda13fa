"""Word-vector quality on the standard benchmarks shipped with gensim, measured on a shipped
folder exactly as it is served (fp16 storage and vocabulary cap):

    python -m export.word2vec.evaluate weights/word2vec
"""
import argparse
import json
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

from export.word2vec.from_onnx import word_vectors

ANALOGY_VOCAB = 30000
PROBES = {"king - man + woman": (["king", "woman"], ["man"]),
          "paris - france + germany": (["paris", "germany"], ["france"])}


def evaluate(kv: KeyedVectors) -> dict:
    """questions-words accuracy (top 30k words, as usual for text8), WordSim-353, two probes."""
    accuracy, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"),
                                                    restrict_vocab=ANALOGY_VOCAB)
    by_section = {s["section"]: {"accuracy": round(len(s["correct"]) / max(1, len(s["correct"]) + len(s["incorrect"])), 4),
                                 "questions": len(s["correct"]) + len(s["incorrect"])}
                  for s in sections}
    covered = by_section.pop("Total accuracy")["questions"]
    total_questions = sum(1 for line in open(datapath("questions-words.txt"))
                          if not line.startswith(":"))
    pearson, spearman, oov_ratio = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    return {
        "analogy_accuracy": round(float(accuracy), 4),
        "analogy_coverage": round(covered / total_questions, 4),
        "analogy_restrict_vocab": ANALOGY_VOCAB,
        "analogy_sections": by_section,
        "wordsim353_spearman": round(float(spearman.statistic), 4),
        "wordsim353_oov_percent": round(float(oov_ratio), 2),
        "probes": {name: [w for w, _ in kv.most_similar(positive=pos, negative=neg, topn=5)]
                   for name, (pos, neg) in PROBES.items()},
    }


def load_folder_vectors(folder: str | Path) -> KeyedVectors:
    """The folder's vectors as gensim KeyedVectors, from either shipped format."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    if manifest["format"] == "word2vec-binary":
        return KeyedVectors.load_word2vec_format(str(folder / "vectors.bin"), binary=True)
    words, embeddings = word_vectors(folder)
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
