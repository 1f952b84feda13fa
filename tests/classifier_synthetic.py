"""A tiny sentiment task whose answer is known: filler words plus one cue word that decides the
label, and small classifiers trained on it in seconds (for tests of training, export, evidence
and the endpoint that must not wait for the real models). With FIVE_CUES the task has five
labels, SST-1's, as a fine-grained model has."""
import json
from pathlib import Path

import numpy as np
import torch

from export.classifier.data import build_vocab, encode
from export.classifier.export import write_folder
from export.classifier.fit import train_model
from export.classifier.model import Explained, averaged, build_model, networks
from export.manifest import write_manifest

FILLERS = "the movie film was is a this plot acting story really quite and of it".split()
CUES = {1: ["wonderful", "great", "moving"], 0: ["awful", "dull", "boring"]}
FIVE_LABELS = ["very negative", "negative", "neutral", "positive", "very positive"]
FIVE_CUES = {0: ["awful", "dreadful"], 1: ["dull", "boring"], 2: ["okay", "average"],
             3: ["good", "nice"], 4: ["wonderful", "great"]}
SMALL = {"cnn-rand": {"dim": 16, "maps": 8}, "bilstm": {"dim": 16, "hidden": 8}}


def sentences(n: int, seed: int = 0, cues: dict = CUES) -> list[tuple[list[str], int]]:
    rng = np.random.default_rng(seed)
    data = []
    for _ in range(n):
        label = int(rng.integers(len(cues)))
        words = list(rng.choice(FILLERS, int(rng.integers(1, 9))))
        words.insert(int(rng.integers(len(words) + 1)), str(rng.choice(cues[label])))
        data.append((words, label))
    return data


def train_tiny(kind: str = "cnn-rand", n: int = 400, epochs: int = 8, cues: dict = CUES):
    """(model, vocab, dev accuracy) after training on n synthetic sentences. "cnn-ensemble":
    two CNN-rand from different seeds, averaged (its accuracy: the worse member's)."""
    torch.set_num_threads(1)
    train, dev = sentences(n, seed=0, cues=cues), sentences(100, seed=1, cues=cues)
    vocab = build_vocab([t for t, _ in train])
    singles, accs = [], []
    for seed in range(2 if kind == "cnn-ensemble" else 1):
        torch.manual_seed(seed)
        single = "cnn-rand" if kind == "cnn-ensemble" else kind
        singles.append(build_model(single, len(vocab), classes=len(cues), **SMALL[single]))
        accs.append(train_model(singles[-1], encode(train, vocab), encode(dev, vocab),
                                optimizer="adam", lr=0.01, epochs=epochs, batch_size=25,
                                device=torch.device("cpu"), seed=seed, desc=f"tiny {kind}")[0])
    return averaged(singles), vocab, min(accs)


def tiny_folder(out: Path, kind: str = "cnn-rand", labels: list[str] | None = None) -> Path:
    """A weights folder of a tiny trained model, written as the real export writes one; with
    labels=FIVE_LABELS trained on the five-label task, its manifest naming them."""
    model, vocab, acc = train_tiny(kind, cues=FIVE_CUES if labels else CUES)
    members = len(networks(model))
    info = {"model": "cnn-rand" if members > 1 else kind, "members": members, "restarts": members,
            "machine": "test", "seconds": 0, "epochs": 8,
            "best_epoch": [8] * members if members > 1 else 8, "optimizer": "adam", "lr": 0.01,
            "batch_size": 25, "vectors": None, "vocab_with_vectors": 0, "seed": 0}
    metrics = {"sst2_test_accuracy": acc, "sst2_dev_accuracy": acc, "temperature": 1.0}
    write_folder(out, Explained(model), vocab, info, metrics, comparison={}, data_files=[],
                 max_tokens=200)
    if labels:
        manifest = json.loads((out / "manifest.json").read_text())
        manifest["hyperparameters"]["labels"] = labels
        for output in manifest["outputs"]:
            if output["name"] in ("logits", "contributions"):
                output["shape"][1] = len(labels)
        manifest["metrics"] = {"sst1_test_accuracy": acc, "sst1_dev_accuracy": acc, "temperature": 1.0}
        write_manifest(out, {k: v for k, v in manifest.items() if k != "files"})
    return out
