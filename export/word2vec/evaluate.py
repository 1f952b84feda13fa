"""Word-vector quality on the standard benchmarks shipped with gensim, measured on a shipped
folder exactly as it is served (fp16 storage and vocabulary cap):

    python -m export.word2vec.evaluate weights/word2vec           # print the metrics
    python -m export.word2vec.evaluate weights/word2vec --write   # and refresh the manifest's
"""
import argparse
import json
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

from export.manifest import write_manifest
from export.word2vec.from_onnx import word_vectors

ANALOGY_VOCAB = 30000
PROBES = {"king - man + woman": (["king", "woman"], ["man"]),
          "paris - france + germany": (["paris", "germany"], ["france"])}


def pooled_accuracy(sections: list[dict]) -> float:
    correct = sum(len(s["correct"]) for s in sections)
    return round(correct / max(1, correct + sum(len(s["incorrect"]) for s in sections)), 4)


def analogies(kv: KeyedVectors, restrict_vocab: int) -> dict:
    """questions-words over the `restrict_vocab` most frequent words: a question counts where its
    four words are among them (coverage), and the answer is searched among them. Semantic are
    the five sections without a gram prefix, syntactic the nine gram sections."""
    accuracy, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"),
                                                    restrict_vocab=restrict_vocab)
    sections = [s for s in sections if s["section"] != "Total accuracy"]
    total_questions = sum(1 for line in open(datapath("questions-words.txt"))
                          if not line.startswith(":"))
    return {
        "accuracy": round(float(accuracy), 4),
        "coverage": round(sum(len(s["correct"]) + len(s["incorrect"]) for s in sections) / total_questions, 4),
        "restrict_vocab": restrict_vocab,
        "semantic_accuracy": pooled_accuracy([s for s in sections if not s["section"].startswith("gram")]),
        "syntactic_accuracy": pooled_accuracy([s for s in sections if s["section"].startswith("gram")]),
        "sections": {s["section"]: {"accuracy": pooled_accuracy([s]),
                                    "questions": len(s["correct"]) + len(s["incorrect"])}
                     for s in sections},
    }


def word_pairs(kv: KeyedVectors, file_name: str) -> tuple[float, float]:
    """Spearman correlation of cosine with the human scores over the pairs both words of which
    are known, and the percentage of pairs left out. gensim's pair files are tab-separated
    word, word, score, with # comment lines, which evaluate_word_pairs skips."""
    _, spearman, oov_percent = kv.evaluate_word_pairs(datapath(file_name))
    return round(float(spearman.statistic), 4), round(float(oov_percent), 2)


def evaluate(kv: KeyedVectors) -> dict:
    """questions-words over the 30,000 most frequent words (the customary number for text8,
    which flatters: rarer words are neither asked nor offered as answers) and over the whole
    shipped vocabulary; WordSim-353 (relatedness) and SimLex-999 (similarity); two probes."""
    top, everything = analogies(kv, ANALOGY_VOCAB), analogies(kv, len(kv.index_to_key))
    wordsim, wordsim_oov = word_pairs(kv, "wordsim353.tsv")
    simlex, simlex_oov = word_pairs(kv, "simlex999.txt")
    return {
        "analogy_accuracy": top["accuracy"],
        "analogy_coverage": top["coverage"],
        "analogy_restrict_vocab": top["restrict_vocab"],
        "analogy_semantic_accuracy": top["semantic_accuracy"],
        "analogy_syntactic_accuracy": top["syntactic_accuracy"],
        "analogy_sections": top["sections"],
        "analogy_all_words": everything,
        "wordsim353_spearman": wordsim,
        "wordsim353_oov_percent": wordsim_oov,
        "simlex999_spearman": simlex,
        "simlex999_oov_percent": simlex_oov,
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
    parser.add_argument("--write", action="store_true",
                        help="replace the manifest's metrics with these (the model's files are untouched)")
    args = parser.parse_args()
    metrics = evaluate(load_folder_vectors(args.folder))
    print(json.dumps(metrics, indent=2))
    if args.write:
        manifest = json.loads((Path(args.folder) / "manifest.json").read_text())
        write_manifest(args.folder, {**manifest, "metrics": metrics})


if __name__ == "__main__":
    main()
