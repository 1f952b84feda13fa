"""Train, select on dev, evaluate and export one sentence classifier (Kim CNN or BiLSTM).

SST-2 (default): trains on train, keeps the epoch with the best dev accuracy, fits a softmax
temperature on dev, measures test accuracy on exactly what is exported, and writes the weights
folder (--out) and/or a fp16 safetensors checkpoint (--checkpoint).
    python -m export.train_classifier --model cnn-non-static --vectors weights/word2vec/model.onnx \
        --out weights/sentiment-cnn
--pretrain-epochs N first trains each network N epochs on IMDB's 25,000 labeled training reviews.
MR: 10-fold cross-validation with a fixed shuffle; each fold's dev slice of its training part
picks the epoch. Writes accuracies only.
    python -m export.train_classifier --model cnn-rand --dataset mr
A checkpoint trained elsewhere (export/gpu_train_classifiers.sh) is calibrated, measured and
exported here with --from-checkpoint. Every run records its accuracies in --results.
"""
import argparse
import fcntl
import json
import math
import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from export.classifier_data import (DEFAULT_DATA_DIR, IMDB_TRAIN, LABELS, SST2_FILES,
                                    build_vocab, cv_split, load_imdb_train, load_mr, load_sst2)
from export.classifier_model import (PAD_ID, Explained, FusedKimCNN, KimCNN, KimCNNEnsemble,
                                     averaged, build_model, max_norm_, networks)
from export.classifier_vectors import read_vectors, vectors_for, vectors_source

UNK_ID = 1
OPSET = 17
RESULTS = "results/classifier_results.json"
VECTORS = "weights/word2vec/model.onnx"
# Kim (2014): Adadelta, mini-batches of 50, 25 epochs. The BiLSTM converges faster with Adam.
TRAINING = {"cnn": {"optimizer": "adadelta", "lr": 1.0, "epochs": 25, "batch_size": 50},
            "bilstm": {"optimizer": "adam", "lr": 1e-3, "epochs": 10, "batch_size": 50}}
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

Encoded = list[tuple[list[int], int]]


def encode(examples, vocab: list[str]) -> Encoded:
    index = {w: i for i, w in enumerate(vocab)}
    return [([index.get(t, UNK_ID) for t in tokens] or [UNK_ID], label)
            for tokens, label in examples]


def batches(data: Encoded, batch_size: int, rng: np.random.Generator | None = None):
    """(ids [B, T] padded with <pad>, lengths [B], labels [B]); shuffled when rng is given."""
    order = rng.permutation(len(data)) if rng is not None else np.arange(len(data))
    for start in range(0, len(data), batch_size):
        chunk = [data[i] for i in order[start:start + batch_size]]
        lengths = torch.tensor([len(ids) for ids, _ in chunk])
        ids = torch.full((len(chunk), int(lengths.max())), PAD_ID, dtype=torch.long)
        for row, (seq, _) in enumerate(chunk):
            ids[row, :len(seq)] = torch.tensor(seq)
        yield ids, lengths, torch.tensor([label for _, label in chunk])


def accuracy(logits: np.ndarray, labels) -> float:
    return float((logits.argmax(axis=1) == np.asarray(labels)).mean())


@torch.no_grad()
def batch_logits(model, data: Encoded, device, batch_size: int = 500) -> np.ndarray:
    model.eval()
    return torch.cat([model(ids.to(device), lengths.to(device)).cpu()
                      for ids, lengths, _ in batches(data, batch_size)]).numpy()


@torch.no_grad()
def served_logits(explained: Explained, data: Encoded, device) -> np.ndarray:
    """Logits of the exported module, one unpadded sentence at a time, as serving runs it."""
    explained.to(device)
    return torch.cat([explained(torch.tensor([ids], device=device))[0].cpu()
                      for ids, _ in data]).numpy()


def train_model(model, train: Encoded, dev: Encoded, *, optimizer: str, lr: float, epochs: int,
                batch_size: int, device, seed: int, desc: str) -> tuple[float, int]:
    """Trains in place and leaves the weights of the epoch with the best dev accuracy;
    returns (that accuracy, that epoch)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = (torch.optim.Adadelta(params, lr=lr, rho=0.95, eps=1e-6) if optimizer == "adadelta"
           else torch.optim.Adam(params, lr=lr))
    best_acc, best_epoch, best_state = -1.0, 0, None
    bar = tqdm(total=epochs * math.ceil(len(train) / batch_size), desc=desc, mininterval=2)
    for epoch in range(1, epochs + 1):
        model.train()
        for ids, lengths, labels in batches(train, batch_size, rng):
            loss = F.cross_entropy(model(ids.to(device), lengths.to(device)), labels.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            max_norm_(model)
            bar.update()
        acc = accuracy(batch_logits(model, dev, device), [y for _, y in dev])
        if acc > best_acc:
            best_acc, best_epoch = acc, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        bar.set_postfix(loss=f"{loss.item():.3f}", dev=f"{acc:.4f}",
                        best=f"{best_acc:.4f}@{best_epoch}")
    bar.close()
    model.load_state_dict(best_state)
    return best_acc, best_epoch


def imdb_reviews(args):
    """The labeled IMDB reviews to train on first, tokenised once per run (None without
    --pretrain-epochs)."""
    if not args.pretrain_epochs:
        return None
    return load_imdb_train(args.data_dir, args.max_tokens, args.limit, args.seed)


def train_restart(model, train: Encoded, dev: Encoded, imdb: Encoded | None, *, hyper: dict,
                  pretrain_epochs: int, device, seed: int, desc: str) -> tuple[float, int]:
    """train_model on the task, after (with imdb) pretrain_epochs on IMDB's labeled reviews:
    25,000 movie reviews tune the vectors of sentiment words that the task's few thousand
    training sentences never show. The IMDB epoch kept is also the one best on dev."""
    if imdb:
        train_model(model, imdb, dev, device=device, seed=seed, desc=f"{desc}, IMDB first",
                    **{**hyper, "epochs": pretrain_epochs})
    return train_model(model, train, dev, device=device, seed=seed, desc=desc, **hyper)


def fit_temperature(logits: np.ndarray, labels) -> float:
    """The T minimising the negative log-likelihood of softmax(logits / T) (Guo et al. 2017)."""
    labels = np.asarray(labels)
    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 600))

    def nll(t):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(z)), labels]))
    return float(min(grid, key=nll))


def expected_calibration_error(logits: np.ndarray, labels, bins: int = 15) -> float:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = z / z.sum(axis=1, keepdims=True)
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == np.asarray(labels)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return float(sum(abs(confidence[which == b].mean() - correct[which == b].mean())
                     * (which == b).mean() for b in range(bins) if (which == b).any()))


def device_name(device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"


def classifier_vocab(sentences, source, extra: int = 0) -> list[str]:
    """The training words, then (with extra > 0) the source's `extra` most frequent words not
    among them: a word never seen in training still brings its pretrained vector, as in Kim's
    code, without building the vocabulary from the test sentences."""
    vocab = build_vocab(sentences)
    if not extra or source is None:
        return vocab
    known = set(vocab)
    return vocab + [w for w in source[0][:extra] if w not in known]


def pretrained(kind: str, vocab: list[str], source) -> tuple[torch.Tensor | None, int]:
    """(vectors for vocab or None, how many vocab words got a vector)."""
    if kind == "cnn-rand" or source is None:
        return None, 0
    rows = vectors_for(vocab, *source)
    return torch.from_numpy(rows), int((np.abs(rows).sum(axis=1) > 0).sum())


def record(results_path: str | Path, key: str, entry: dict) -> None:
    """Merge one run's numbers into the shared results JSON (locked: runs go in parallel)."""
    path = Path(results_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        text = f.read()
        results = json.loads(text) if text.strip() else {}
        results[key] = entry
        f.seek(0)
        f.truncate()
        f.write(json.dumps(results, indent=2, sort_keys=True) + "\n")


def run_cv(args, device) -> None:
    examples = load_mr(args.data_dir)
    if args.limit:  # a random subset: the file order is all negatives, then all positives
        order = np.random.default_rng(args.seed).permutation(len(examples))
        examples = [examples[i] for i in order[:args.limit]]
    source = read_vectors(args.vectors) if args.model != "cnn-rand" else None
    hyper = {**TRAINING[args.model.split("-")[0]], **args.overrides}
    imdb = imdb_reviews(args)
    accs, epochs = [], []
    started = time.time()
    for fold in range(args.folds_run or args.folds):
        train_idx, dev_idx, test_idx = cv_split(len(examples), fold, args.folds)
        vocab = classifier_vocab([examples[i][0] for i in train_idx], source, args.extra_vocab)
        vectors, _ = pretrained(args.model, vocab, source)
        model = build_model(args.model, len(vocab), vectors)
        train, dev, test = (encode([examples[i] for i in idx], vocab)
                            for idx in (train_idx, dev_idx, test_idx))
        _, best_epoch = train_restart(model, train, dev, imdb and encode(imdb, vocab),
                                      hyper=hyper, pretrain_epochs=args.pretrain_epochs,
                                      device=device, seed=args.seed + fold,
                                      desc=f"{args.model} MR fold {fold + 1}/{args.folds}")
        accs.append(accuracy(served_logits(Explained(model), test, device), [y for _, y in test]))
        epochs.append(best_epoch)
        print(f"fold {fold + 1}: test accuracy {accs[-1]:.4f} (epoch {best_epoch})", flush=True)
        entry = {"accuracy": float(np.mean(accs)), "std": float(np.std(accs)), "folds": accs,
                 "folds_total": args.folds, "best_epochs": epochs, "training": hyper,
                 "seconds": round(time.time() - started),
                 "machine": device_name(device),
                 "vectors": None if source is None else vectors_source(args.vectors),
                 "command": f"python -m export.train_classifier --model {args.model} --dataset mr"
                            f" --name {args.name}"
                            f" --extra-vocab {args.extra_vocab}"
                            + (f" --vectors {args.vectors}" if source is not None
                               and args.vectors != VECTORS else "")
                            + (f" --pretrain-epochs {args.pretrain_epochs}"
                               if args.pretrain_epochs else "")
                            + "".join(f" --set {k}={v}" for k, v in args.overrides.items())}
        record(args.results, f"{args.name}/mr-cv", entry)  # after every fold: partial runs count
    print(f"{args.model} MR {len(accs)}-fold CV accuracy {entry['accuracy']:.4f} "
          f"+- {entry['std']:.4f}")


def save_checkpoint(path, model, vocab: list[str], info: dict) -> None:
    """fp16 weights, vocabulary and training info in one file. A multichannel CNN is saved with
    its two tables folded into one, as exported, and loads back as a non-static CNN (an
    ensemble, as an ensemble of them)."""
    from safetensors.torch import save_file
    state = dict(Explained(model).model.state_dict())
    state = {k: v.detach().cpu().half().contiguous() for k, v in state.items()}
    save_file(state, str(path), metadata={"vocab": "\n".join(vocab), "info": json.dumps(info)})


def load_checkpoint(path):
    """(model with the checkpoint's weights, vocab, info)."""
    from safetensors import safe_open
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        state = {k: f.get_tensor(k).float() for k in f.keys()}
    vocab, info = meta["vocab"].split("\n"), json.loads(meta["info"])
    kind = "cnn-non-static" if info["model"] == "cnn-multichannel" else info["model"]
    singles = [build_model(kind, len(vocab), torch.zeros(len(vocab), info["dim"]))
               for _ in range(info.get("members", 1))]
    model = averaged(singles)
    model.load_state_dict(state)
    return model, vocab, info


def train_sst2(args, device, splits):
    """Trains --seeds restarts and keeps the --members best on dev: one model, or (CNNs) an
    ensemble averaging their logits."""
    source = read_vectors(args.vectors) if args.model != "cnn-rand" else None
    vocab = classifier_vocab([tokens for tokens, _ in splits["train"]], source, args.extra_vocab)
    vectors, covered = pretrained(args.model, vocab, source)
    train, dev = encode(splits["train"], vocab), encode(splits["dev"], vocab)
    imdb = imdb_reviews(args)
    imdb = imdb and encode(imdb, vocab)
    hyper = {**TRAINING[args.model.split("-")[0]], **args.overrides}
    started = time.time()
    restarts = []  # (dev accuracy, seed, best epoch, model)
    for seed in range(args.seed, args.seed + args.seeds):
        torch.manual_seed(seed)
        model = build_model(args.model, len(vocab), vectors)
        dev_acc, best_epoch = train_restart(model, train, dev, imdb, hyper=hyper,
                                            pretrain_epochs=args.pretrain_epochs, device=device,
                                            seed=seed, desc=f"{args.name} SST-2 seed {seed}")
        restarts.append((dev_acc, seed, best_epoch, model.cpu()))
        kept = sorted(restarts, key=lambda r: -r[0])[:args.members]
        best = averaged([r[3] for r in kept])
        epochs, seeds = [r[2] for r in kept], [r[1] for r in kept]
        info = {"model": args.model, "name": args.name, "dim": model.embedding.embedding_dim,
                "vectors": None if vectors is None else vectors_source(args.vectors),
                "vocab_with_vectors": covered, "extra_vocab": args.extra_vocab,
                "pretrain_epochs": args.pretrain_epochs, "machine": device_name(device),
                "seconds": round(time.time() - started),
                "best_epoch": epochs if len(kept) > 1 else epochs[0],
                "seed": seeds if len(kept) > 1 else seeds[0],
                "restarts": args.seeds, "members": len(kept),
                "restart_dev_accuracies": {r[1]: r[0] for r in restarts}, **hyper}
        if args.checkpoint:  # saved after every restart: a run cut short still leaves one
            save_checkpoint(args.checkpoint, best, vocab, info)
    return best, vocab, info


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


def evaluate_and_write(args, model, vocab: list[str], info: dict, splits, device) -> None:
    data = {split: encode(splits[split], vocab) for split in ("dev", "test")}
    labels = {split: [y for _, y in data[split]] for split in data}
    dev_logits = served_logits(Explained(model), data["dev"], device)
    temperature = fit_temperature(dev_logits, labels["dev"])
    explained = Explained(model, temperature)
    test_acc = accuracy(served_logits(explained, data["test"], device), labels["test"])
    metrics = {"sst2_test_accuracy": test_acc,
               "sst2_dev_accuracy": accuracy(dev_logits, labels["dev"]),
               "temperature": temperature,
               "dev_ece_before_calibration": expected_calibration_error(dev_logits, labels["dev"]),
               "dev_ece_after_calibration": expected_calibration_error(dev_logits / temperature,
                                                                       labels["dev"])}
    print(json.dumps(metrics, indent=2))
    record(args.results, f"{args.name}/sst2", {**metrics, "training": info})
    if args.out:
        results = json.loads(Path(args.results).read_text())
        write_folder(Path(args.out), explained.cpu(), vocab, info,
                     metrics | cv_metrics(results, args.name), comparison=results,
                     data_files=[Path(args.data_dir) / f for f in SST2_FILES.values()]
                     + ([Path(args.data_dir) / IMDB_TRAIN] if info.get("pretrain_epochs") else []),
                     max_tokens=args.max_tokens)


def cv_metrics(results: dict, name: str) -> dict:
    """The MR cross-validation of results key `name` as manifest metrics (none if it never ran)."""
    cv = results.get(f"{name}/mr-cv")
    return {"mr_cv_accuracy": cv["accuracy"], "mr_cv_folds": len(cv["folds"]),
            "mr_cv_folds_total": cv["folds_total"], "mr_cv_command": cv["command"]} if cv else {}


def write_folder(out: Path, explained: Explained, vocab: list[str], info: dict, metrics: dict, *,
                 comparison: dict, data_files: list, max_tokens: int = 200) -> None:
    """model.onnx, vocab.txt and the manifest serving reads (hyperparameters carry the window
    layout the evidence needs)."""
    # needs onnxruntime, which GPU training hosts lack
    from export.manifest import eval_command, training_data, write_manifest
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(explained, out / "model.onnx")
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    kind, model, singles = info["model"], explained.model, networks(explained.model)
    family, features, members = kind.split("-")[0], model.out.in_features, len(singles)
    architecture = ((f"Kim (2014) CNN, {kind[4:]}" if family == "cnn"
                     else "bidirectional LSTM, max pooling")
                    + (f", average of {members} networks" if members > 1 else "")
                    + f", {len(vocab)}-word vocabulary")
    pretrain_epochs = info.get("pretrain_epochs", 0)
    selection = ("epoch with the best SST-2 dev accuracy" + (
        " (of the IMDB pass too)" if pretrain_epochs else "") + ", and " + (
        f"the {members} restarts best on dev, their logits averaged" if members > 1
        else "the restart best on dev") + "; softmax temperature fitted on SST-2 dev")
    write_manifest(out, {
        "name": out.name, "task": "sentiment", "architecture": architecture,
        "hyperparameters": {"model": kind, "labels": list(LABELS),
                            "embedding_dim": singles[0].embedding.weight.shape[1],
                            "max_tokens": max_tokens, **model.evidence_layout(),
                            "dropout": model.dropout.p, "max_norm": 3.0},
        "inputs": [{"name": "ids", "dtype": "int64", "shape": ["batch", "tokens"]}],
        "outputs": [{"name": "logits", "dtype": "float32", "shape": ["batch", len(LABELS)]},
                    {"name": "positions", "dtype": "int64", "shape": ["batch", features]},
                    {"name": "contributions", "dtype": "float32",
                     "shape": ["batch", len(LABELS), features]},
                    {"name": "shares", "dtype": "float32",
                     "shape": ["batch", features, max(model.evidence_layout()["filter_widths"])]}],
        "training_data": training_data(*data_files),
        "metrics": metrics,
        "eval_command": eval_command("evaluate_classifier", out),
        "comparison": comparison,
        "opset": OPSET,
        "training": {**{k: info[k] for k in ("machine", "seconds", "epochs", "best_epoch",
                                             "optimizer", "lr", "batch_size", "vectors",
                                             "vocab_with_vectors", "seed")},
                     "restarts": info.get("restarts", 1), "members": members,
                     "restart_dev_accuracies": info.get("restart_dev_accuracies"),
                     "extra_vocab": info.get("extra_vocab", 0), "pretrain_epochs": pretrain_epochs,
                     "selection": selection},
        "description": DESCRIPTIONS[family] + (
            f" Its answer is the average of {members} such networks trained from different "
            "random starts, which is steadier than any one of them." if members > 1 else "")
        + (" Before SST-2 it read IMDB's 25,000 labeled movie reviews, which teach it sentiment "
           "words that SST-2's training sentences never show." if pretrain_epochs else ""),
    })
    print(f"wrote {out}")


def parse_overrides(pairs: list[str]) -> dict:
    """--set epochs=5 lr=0.5: training settings as plain values."""
    return {k: json.loads(v) if v[:1].isdigit() else v for k, v in (p.split("=", 1) for p in pairs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="cnn-non-static",
                        choices=["cnn-rand", "cnn-static", "cnn-non-static", "cnn-multichannel",
                                 "bilstm"])
    parser.add_argument("--name", help="results key of this variant (default: --model)")
    parser.add_argument("--dataset", default="sst2", choices=["sst2", "mr"])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--vectors", default=VECTORS,
                        help="model.onnx (with vocab.txt), word2vec .bin, or .safetensors subset")
    parser.add_argument("--out", help="weights folder to write (SST-2)")
    parser.add_argument("--checkpoint", help="also save the trained weights here (safetensors)")
    parser.add_argument("--from-checkpoint", help="skip training: export this checkpoint")
    parser.add_argument("--results", default=RESULTS)
    parser.add_argument("--extra-vocab", type=int, default=0,
                        help="add the N most frequent words of --vectors to the vocabulary")
    parser.add_argument("--pretrain-epochs", type=int, default=0,
                        help="first train each network N epochs on IMDB's labeled training reviews")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--folds-run", type=int, default=0, help="run only the first N folds")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N sentences")
    parser.add_argument("--max-tokens", type=int, default=200, help="serving truncates to this")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=1,
                        help="SST-2: train this many restarts (seeds), keep the best on dev")
    parser.add_argument("--members", type=int, default=1,
                        help="SST-2, CNN: average the logits of this many of the restarts (the "
                             "best on dev), exported as one graph")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads; more than one is slower on a shared, busy machine")
    parser.add_argument("--set", dest="overrides", nargs="*", default=[],
                        help="training settings, e.g. epochs=5 lr=0.5 optimizer=adam")
    args = parser.parse_args()
    args.overrides = parse_overrides(args.overrides)
    args.name = args.name or args.model
    if args.members > 1 and (args.model == "bilstm" or args.members > args.seeds):
        parser.error("--members: CNNs only, and at most --seeds")
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)  # the initial weights too
    if args.dataset == "mr":
        run_cv(args, device)
        return
    splits = {k: v[:args.limit or None] for k, v in load_sst2(args.data_dir).items()}
    if args.from_checkpoint:
        model, vocab, info = load_checkpoint(args.from_checkpoint)
        args.model, args.name = info["model"], info.get("name", info["model"])
    else:
        model, vocab, info = train_sst2(args, device, splits)
    evaluate_and_write(args, model, vocab, info, splits, device)


if __name__ == "__main__":
    main()
