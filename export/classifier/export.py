"""A trained classifier as the weights folder serving reads: model.onnx (the CNN fused for
onnxruntime), vocab.txt and the manifest; and a sentence model joined with a review model into
one folder, each reading the texts it reads best (route_by_length):

    python -m export.classifier.export --sentences weights/sentiment-cnn --reviews build/joint/sentiment-cnn --out build/routed [--int8]
"""
import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import torch
from onnxruntime.quantization import quantize_dynamic

from export.classifier.data import LABELS, load_imdb_train, load_sst2, split_imdb_train
from export.classifier.model import Explained, FusedKimCNN, KimCNN, KimCNNEnsemble, networks
from export.corpora import DEFAULT_DATA_DIR
from export.manifest import eval_command, training_data, write_manifest
from serving.onnx_session import make_session
from serving.sentiment import MAX_TOKENS
from serving.weights import load_manifest, read_vocab, write_vocab

OPSET = 17
DESCRIPTIONS = {
    "cnn": "A convolutional network reads the sentence through 300 filters that each look at a "
           "window of 3, 4 or 5 words; each filter keeps only its strongest match anywhere in the "
           "sentence (max-over-time pooling), and one linear layer weighs those 300 matches into "
           "positive or negative.",
    "bilstm": "A bidirectional LSTM reads the sentence left to right and right to left; each of "
              "its 300 state dimensions keeps its strongest value over the sentence (max pooling), "
              "and one linear layer weighs them into positive or negative. Its highlights are "
              "the words where those features peaked; a state has also read the words before "
              "(and after) it, so they are less sharp than the CNN's.",
}


def describe_labels(description: str, labels) -> str:
    """A description says what the linear layer weighs the features into: the two labels, or
    SST-1's five grades."""
    return description if len(labels) == 2 else description.replace(
        "positive or negative", f"one of {len(labels)} grades, from {labels[0]} through "
        f"{labels[len(labels) // 2]} to {labels[-1]} (SST-1's labels)")


def export_onnx(explained: Explained, path: Path) -> None:
    """A CNN goes out as FusedKimCNN: the same outputs, 2.5x faster in onnxruntime."""
    fused = isinstance(explained.model, KimCNN | KimCNNEnsemble)
    graph = FusedKimCNN(explained) if fused else explained
    torch.onnx.export(graph, (torch.tensor([[2, 3, 4]]),), str(path), dynamo=False,
                      opset_version=OPSET, input_names=["ids"],
                      output_names=["logits", "positions", "contributions", "shares"],
                      dynamic_axes={"ids": {0: "batch", 1: "tokens"}, "logits": {0: "batch"},
                                    "positions": {0: "batch"}, "contributions": {0: "batch"},
                                    "shares": {0: "batch"}})


def write_folder(out: Path, explained: Explained, vocab: list[str], info: dict, metrics: dict, *,
                 comparison: dict, data_files: list, max_tokens: int = 200,
                 labels: tuple = LABELS) -> None:
    """model.onnx, vocab.txt and the manifest serving reads (hyperparameters carry the labels and
    the window layout the evidence needs)."""
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(explained, out / "model.onnx")
    write_vocab(out, vocab)
    kind, model, singles = info["model"], explained.model, networks(explained.model)
    family, features, members = kind.split("-")[0], model.out.in_features, len(singles)
    architecture = ((f"Kim (2014) CNN, {kind[4:]}" if family == "cnn"
                     else "bidirectional LSTM, max pooling")
                    + (f", {'weighted ' if info.get('blend') else ''}average of {members} networks"
                       if members > 1 else "")
                    + f", {len(vocab)}-word vocabulary")
    pretrain_epochs, joint, continued = (info.get("pretrain_epochs", 0), info.get("joint_imdb"),
                                         info.get("continued"))
    dev = "SST-1 dev" if len(labels) == 5 else "SST-2 dev"
    selection = (f"epoch with the best {dev} accuracy" + (
        " (of the IMDB pass too)" if pretrain_epochs else "") + (
        " averaged with IMDB dev's (a fixed tenth of IMDB train)" if joint else "") + (
        f", then of {info['finetune_epochs']} more on SST-2 alone, chosen alike"
        if info.get("finetune_epochs") else "") + ", and " + (
        f"the {members} restarts best on dev, their logits averaged" if members > 1
        else "the restart best on dev") + (
        f"; then each network trained further, the epoch kept the best on {continued['select']}"
        " (epoch 0: as it was)" if continued else "") + f"; softmax temperature fitted on {dev}")
    write_manifest(out, {
        "name": out.name, "task": "sentiment", "architecture": architecture,
        "hyperparameters": {"model": kind, "labels": list(labels),
                            "embedding_dim": singles[0].embedding.weight.shape[1],
                            "max_tokens": max_tokens, **model.evidence_layout(),
                            "dropout": model.dropout.p, "max_norm": 3.0},
        "inputs": [{"name": "ids", "dtype": "int64", "shape": ["batch", "tokens"]}],
        "outputs": [{"name": "logits", "dtype": "float32", "shape": ["batch", len(labels)]},
                    {"name": "positions", "dtype": "int64", "shape": ["batch", features]},
                    {"name": "contributions", "dtype": "float32",
                     "shape": ["batch", len(labels), features]},
                    {"name": "shares", "dtype": "float32",
                     "shape": ["batch", features, max(model.evidence_layout()["filter_widths"])]}],
        "training_data": training_data(*data_files),
        "metrics": metrics,
        "eval_command": eval_command("classifier.evaluate", out),
        "comparison": comparison,
        "opset": OPSET,
        "training": {**{k: info[k] for k in ("machine", "seconds", "epochs", "best_epoch",
                                             "optimizer", "lr", "batch_size", "vectors",
                                             "vocab_with_vectors", "seed")},
                     "restarts": info.get("restarts", 1), "members": members,
                     "restart_dev_accuracies": info.get("restart_dev_accuracies"),
                     "extra_vocab": info.get("extra_vocab", 0), "pretrain_epochs": pretrain_epochs,
                     **({"pretrain_on": info.get("pretrain_on", "reviews")} if pretrain_epochs else {}),
                     **{k: info[k] for k in ("init", "joint_imdb", "dev_history", "finetune_epochs", "blend",
                                             "finetune_dev_history", "finetune_best_epoch",
                                             "continued", "augment_negation") if k in info},
                     "selection": selection},
        "description": describe_labels(DESCRIPTIONS[family], labels) + (
            f" Its answer is the average of {members} such networks trained from different "
            "random starts, which is steadier than any one of them."
            if members > 1 and not info.get("blend") else "")
        + (f" Its answer is a weighted average of {members} such networks: the {members - 1} of "
           f"the CNN shipped before ({1 - info['blend']['weight']:.0%} of the vote, trained on "
           f"SST-2 after a pass over IMDB's reviews) and one that learned from SST-2 and IMDB's "
           f"whole reviews together ({info['blend']['weight']:.0%})."
           if info.get("blend") else "")
        + (" Before SST-2 it read IMDB's 25,000 labeled movie reviews, which teach it sentiment "
           "words that SST-2's training sentences never show."
           if pretrain_epochs and info.get("pretrain_on") != "sentences" and len(labels) == 2 else "")
        + (" Before SST-1 it read IMDB's 25,000 training reviews, each labeled by its stars "
           "(1-2 very negative, 3-4 negative, 7-8 positive, 9-10 very positive; IMDB has no neutral "
           "reviews), which teach it how strongly sentiment words lean, and words that SST-1's "
           "training sentences never show."
           if pretrain_epochs and len(labels) > 2 else "")
        + (" Before SST-2 it read sentences of IMDB's 25,000 labeled movie reviews, each labeled as "
           "its review: every one with a negator such as not or never, and as many others. They "
           "teach it negations and sentiment words that SST-2's training sentences rarely show."
           if pretrain_epochs and info.get("pretrain_on") == "sentences" else "")
        + (" It learned from SST-2's sentences and IMDB's labeled movie reviews together, each "
           f"review read whole (up to {max_tokens:,} tokens), as it reads what you paste."
           if joint and not info.get("blend") else "")
        + (f" Then each network read SST-2 again beside {info['augment_negation']['sentences']:,} "
           "short made-up sentences in which a negator turns a sentiment word's side (\"not bad at "
           "all\" positive, \"never funny\" negative) and their plain twins (\"bad\" negative), since "
           "SST-2's training sentences come without the phrase labels that teach negation."
           if info.get("augment_negation") else ""),
    })
    print(f"wrote {out}")


def dev_predictions(graph: Path, examples) -> tuple[np.ndarray, np.ndarray]:
    """(each example's predicted label under the graph, read with its folder's vocabulary; its
    length in tokens)."""
    index = {w: i for i, w in enumerate(read_vocab(graph.parent))}
    session = make_session(graph)
    predicted = [int(session.run(["logits"], {"ids": np.array([[index.get(t, 1) for t in tokens] or [1]],
                                                            np.int64)})[0].argmax()) for tokens, _ in examples]
    return np.array(predicted), np.array([max(len(tokens), 1) for tokens, _ in examples])


def route_by_length(sentences: Path, reviews: Path, out: Path, data_dir: Path, int8: bool = False,
                    thresholds=(20, 40, 60, 80, 100, 150, 200)) -> dict:
    """One folder from two of the same vocabulary: the `sentences` model for texts shorter than a
    threshold, the `reviews` model (long.onnx) from it on. The threshold is the one with the best
    mean of SST-2 dev and IMDB dev accuracy (the fixed tenth of IMDB train); test data is never
    read here."""
    if read_vocab(sentences) != read_vocab(reviews):
        raise SystemExit(f"{sentences} and {reviews} must share one vocabulary")
    dev = {"sst2": load_sst2(data_dir)["dev"],
           "imdb": split_imdb_train(load_imdb_train(data_dir, max_tokens=MAX_TOKENS))[1]}
    labels = {k: np.array([y for _, y in v]) for k, v in dev.items()}
    manifest, long_manifest = load_manifest(sentences), load_manifest(reviews)
    routed = long_manifest["hyperparameters"].get("long_texts")
    long_graph = (reviews / routed["file"]).read_bytes() if routed else None  # out may be reviews
    shutil.copytree(sentences, out, dirs_exist_ok=True)
    if routed:  # a folder routed before: its review graph as shipped, so a new sentence model joins it
        (out / "long.onnx").write_bytes(long_graph)
        long_manifest = {"architecture": routed["architecture"], "training": routed["training"],
                         "hyperparameters": routed}
    elif int8:   # the matrix products in int8 (onnxruntime's dynamic quantization): half the time
        quantize_dynamic(reviews / "model.onnx", out / "long.onnx", op_types_to_quantize=["MatMul"])
    else:
        shutil.copyfile(reviews / "model.onnx", out / "long.onnx")
    short = {k: dev_predictions(sentences / "model.onnx", v) for k, v in dev.items()}
    long = {k: dev_predictions(out / "long.onnx", v)[0] for k, v in dev.items()}
    scores = {t: {k: float(np.mean(np.where(short[k][1] >= t, long[k], short[k][0]) == labels[k])) for k in dev}
              for t in thresholds}
    best = max(thresholds, key=lambda t: (np.mean(list(scores[t].values())), -t))
    long_hp = long_manifest["hyperparameters"]
    manifest["hyperparameters"] = {**manifest["hyperparameters"], "max_tokens": MAX_TOKENS, "long_texts": {
        "file": "long.onnx", "from_tokens": best, "filter_widths": long_hp["filter_widths"],
        "feature_maps": long_hp["feature_maps"], "architecture": long_manifest["architecture"],
        "quantization": routed["quantization"] if routed else
                        "int8 matrix products (onnxruntime quantize_dynamic, MatMul)" if int8 else "none",
        "training": long_manifest["training"]}}
    # the sentence model's numbers hold for sentences; the test numbers of the whole are measured
    # next (python -m export.classifier.evaluate <out> --imdb --record ...)
    manifest["metrics"] = {k: v for k, v in manifest["metrics"].items() if "imdb_test" not in k} | {
        "sst2_dev_accuracy": scores[best]["sst2"], "imdb_dev_accuracy": scores[best]["imdb"],
        "routing_dev_accuracies": {str(t): s for t, s in scores.items()}}
    manifest["architecture"] += f"; from {best} tokens on, {long_manifest['architecture']} trained on whole IMDB reviews"
    manifest["description"] += (f" Texts of {best} tokens or more (reviews rather than sentences) go to a second "
                                "network of the same kind, trained on SST-2 and IMDB's 25,000 whole labelled reviews.")
    for key in ("folder", "files"):
        manifest.pop(key, None)
    return write_manifest(out, manifest)


def main() -> None:
    parser = argparse.ArgumentParser(description="Join a sentence model and a review model into one folder.")
    parser.add_argument("--sentences", type=Path, required=True, help="e.g. weights/sentiment-cnn")
    parser.add_argument("--reviews", type=Path, required=True, help="a folder trained with --joint-imdb, or one routed before (its long.onnx as it is)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--int8", action="store_true", help="the review model's matrix products in int8")
    args = parser.parse_args()
    written = route_by_length(args.sentences, args.reviews, args.out, args.data_dir, args.int8)
    print(json.dumps(written["metrics"], indent=1))


if __name__ == "__main__":
    main()
