"""Train, select on dev, evaluate and export one sentence classifier (Kim CNN or BiLSTM).

SST-2 (default): trains on train, keeps the epoch with the best dev accuracy, fits a softmax
temperature on dev, measures test accuracy on exactly what is exported, and writes the weights
folder (--out) and/or a fp16 safetensors checkpoint (--checkpoint).
    python -m export.classifier.train --model cnn-non-static --vectors weights/word2vec/model.onnx \
        --out weights/sentiment-cnn
--pretrain-epochs N first trains each network N epochs on IMDB's 25,000 labeled training reviews.
--joint-imdb trains on SST-2's sentences and IMDB's training reviews together, read whole (up to
--max-tokens, as serving reads), the epoch chosen on the mean of SST-2 dev and IMDB dev (a fixed
tenth of IMDB train, data.split_imdb_train); --init starts from a shipped CNN's first network
(its vocabulary too); --state saves the run after every epoch and resumes from it.
    python -m export.classifier.train --joint-imdb --init weights/sentiment-cnn --max-tokens 5000 \
        --state checkpoints/joint.safetensors --out weights/sentiment-cnn
--dataset sst1: SST-1's five classes (sentences only), the same steps.
MR: 10-fold cross-validation with a fixed shuffle; each fold's dev slice of its training part
picks the epoch. Writes accuracies only.
    python -m export.classifier.train --model cnn-rand --dataset mr
--continue-from FOLDER trains each network of a shipped CNN folder further, its weights as shipped
competing as epoch 0; with --augment-negation N beside N made-up sentences in which a negator
turns a sentiment word's side (export/classifier/augment.py), chosen with --select dev+negation
on dev and dev's sentences with a negator together.
    python -m export.classifier.train --continue-from weights/sentiment-cnn --augment-negation 4000 \
        --select dev+negation --set epochs=6 lr=0.3 --out build/negation/sentiment-cnn
A checkpoint trained elsewhere (export/classifier/gpu_train.sh) is calibrated, measured and
exported here with --from-checkpoint. Every run records its accuracies in --results.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from export.classifier.augment import negation_examples, polar_words
from export.classifier.calibration import expected_calibration_error, fit_temperature
from export.classifier.checkpoint import load_checkpoint, save_checkpoint
from export.classifier.data import (
    IMDB_TRAIN,
    SST,
    classifier_vocab,
    cv_split,
    encode,
    load_imdb_sentences,
    load_imdb_train,
    load_mr,
    load_sst2,
    negated,
    split_imdb_train,
)
from export.classifier.export import write_folder
from export.classifier.fit import (TRAINING, accuracy, batch_logits, device_name, served_logits,
                                   train_model, train_restart)
from export.classifier.from_onnx import trainable_networks
from export.classifier.model import Explained, KimCNNEnsemble, averaged, build_model
from export.classifier.results import RESULTS, cv_metrics, record
from export.classifier.vectors import VECTORS, pretrained, read_vectors, vectors_source
from export.corpora import DEFAULT_DATA_DIR
from serving.weights import load_manifest

BLEND_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def imdb_reviews(args):
    """The labeled IMDB reviews (or with --pretrain-on sentences their sentences) to train on
    first, tokenised once per run (None without --pretrain-epochs); for SST-1 labeled by stars."""
    if not args.pretrain_epochs:
        return None
    if args.pretrain_on == "sentences":
        return load_imdb_sentences(args.data_dir, seed=args.seed)
    return load_imdb_train(args.data_dir, args.max_tokens, args.limit, args.seed,
                           stars=args.dataset == "sst1")


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
                 "command": f"python -m export.classifier.train --model {args.model} --dataset mr"
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


def train_sst2(args, device, splits):
    """Trains --seeds restarts and keeps the --members best on dev: one model, or (CNNs) an
    ensemble averaging their logits."""
    if args.init:  # a shipped CNN's table (and vocabulary) as the pretrained vectors
        (start, *_), vocab = trainable_networks(args.init)
        vectors, covered = start.embedding.weight.detach(), len(vocab)
    else:
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
        model = build_model(args.model, len(vocab), vectors, classes=len(SST[args.dataset][1]))
        dev_acc, best_epoch = train_restart(model, train, dev, imdb, hyper=hyper,
                                            pretrain_epochs=args.pretrain_epochs, device=device,
                                            seed=seed, desc=f"{args.name} {args.dataset} seed {seed}")
        restarts.append((dev_acc, seed, best_epoch, model.cpu()))
        kept = sorted(restarts, key=lambda r: -r[0])[:args.members]
        best = averaged([r[3] for r in kept])
        epochs, seeds = [r[2] for r in kept], [r[1] for r in kept]
        info = {"model": args.model, "name": args.name, "dim": model.embedding.embedding_dim,
                "vectors": args.init or (None if vectors is None else vectors_source(args.vectors)),
                "vocab_with_vectors": covered, "extra_vocab": args.extra_vocab,
                "pretrain_epochs": args.pretrain_epochs, "pretrain_on": args.pretrain_on,
                "machine": device_name(device),
                "seconds": round(time.time() - started),
                "best_epoch": epochs if len(kept) > 1 else epochs[0],
                "seed": seeds if len(kept) > 1 else seeds[0],
                "restarts": args.seeds, "members": len(kept),
                "restart_dev_accuracies": {r[1]: r[0] for r in restarts}, **hyper}
        if args.checkpoint:  # saved after every restart: a run cut short still leaves one
            save_checkpoint(args.checkpoint, best, vocab, info)
    return best, vocab, info


def train_joint(args, device, splits):
    """One network on SST-2 train (repeated --sst2-repeat times an epoch) and IMDB's training
    reviews whole, less the dev tenth; the epoch kept is the best on the mean of SST-2 dev and
    IMDB dev accuracy."""
    reviews = load_imdb_train(args.data_dir, args.max_tokens, args.limit, args.seed)
    imdb_train, imdb_dev = split_imdb_train(reviews)
    if args.init:
        (model, *_), vocab = trainable_networks(args.init)
        covered, source = len(vocab), args.init
    else:
        words = read_vectors(args.vectors)
        # IMDB's own words only through --extra-vocab: all of them would be 75,000+ rows
        vocab = classifier_vocab([t for t, _ in splits["train"]], words, args.extra_vocab)
        vectors, covered = pretrained(args.model, vocab, words)
        model, source = build_model(args.model, len(vocab), vectors), vectors_source(args.vectors)
    train = encode(splits["train"], vocab) * args.sst2_repeat + encode(imdb_train, vocab)
    devs = {"sst2": encode(splits["dev"], vocab), "imdb": encode(imdb_dev, vocab)}
    hyper = {**TRAINING["cnn"], **args.overrides}
    started, history = time.time(), []
    torch.manual_seed(args.seed)
    _, best_epoch = train_model(model, train, devs, device=device, seed=args.seed,
                                desc=f"{args.name} SST-2 + IMDB", by_length=True,
                                score_start=bool(args.init), state_path=args.state,
                                history=history, **hyper)
    finetune, finetune_best = [], 0
    if args.finetune_epochs:  # then SST-2 alone; the joint result competes as its epoch 0
        _, finetune_best = train_model(model, encode(splits["train"], vocab), devs, device=device, seed=args.seed,
                    desc=f"{args.name} then SST-2", score_start=True,
                    state_path=args.state and f"{args.state}.finetune", history=finetune,
                    **{**hyper, "epochs": args.finetune_epochs})
    info = {"model": args.model, "name": args.name, "dim": model.embedding.embedding_dim,
            "vectors": source, "vocab_with_vectors": covered, "extra_vocab": args.extra_vocab,
            "machine": device_name(device), "seconds": round(time.time() - started),
            "best_epoch": best_epoch, "seed": args.seed, "restarts": 1, "members": 1,
            "init": args.init, "joint_imdb": {"train_reviews": len(imdb_train),
                                              "dev_reviews": len(imdb_dev),
                                              "max_tokens": args.max_tokens,
                                              "sst2_repeat": args.sst2_repeat},
            "dev_history": history, **hyper}
    if args.finetune_epochs:
        info |= {"finetune_epochs": args.finetune_epochs, "finetune_dev_history": finetune,
                 "finetune_best_epoch": finetune_best}
    if args.checkpoint:
        save_checkpoint(args.checkpoint, model, vocab, info)
    return model, vocab, info, devs["imdb"]


def continue_members(args, device, splits):
    """Every network of the CNN folder --continue-from trained further on SST-2's training
    sentences (and --augment-negation made-up ones), each keeping its epoch best on --select, its
    weights as shipped competing as epoch 0; the folder's vocabulary and training record carry
    on. A multichannel network's two tables come as their sum, so both train from here."""
    folder = Path(args.continue_from)
    starts, vocab = trainable_networks(folder)
    train = encode(splits["train"], vocab)
    augmentation = None
    if args.augment_negation:
        negative, positive = polar_words(args.data_dir, set(vocab))
        train += encode(negation_examples(negative, positive, args.augment_negation, args.seed), vocab)
        augmentation = {"sentences": args.augment_negation, "words_per_side": len(positive),
                        "negative_words": negative[:10], "positive_words": positive[:10]}
    dev = encode(splits["dev"], vocab)
    devs = {"dev": dev}
    if args.select == "dev+negation":
        devs["negation"] = [d for d, (tokens, _) in zip(dev, splits["dev"]) if negated(tokens)]
    hyper = {**TRAINING["cnn"], **args.overrides}
    started, best_epochs, histories = time.time(), [], []
    for k, model in enumerate(starts):
        history = []
        _, best_epoch = train_model(model, train, devs, device=device, seed=args.seed + k,
                                    desc=f"{args.name} network {k + 1}/{len(starts)}",
                                    score_start=True, history=history, **hyper)
        best_epochs.append(best_epoch)
        histories.append(history)
        model.cpu()
    shipped = load_manifest(folder)
    info = {**shipped["training"], "model": shipped["hyperparameters"]["model"], "name": args.name,
            "continued": {"from": str(folder), "machine": device_name(device),
                          "seconds": round(time.time() - started), "select": args.select,
                          "best_epochs": best_epochs, "dev_history": histories, **hyper},
            **({"augment_negation": augmentation} if augmentation else {})}
    return averaged(starts), vocab, info


def blend(args, model, vocab: list[str], splits, device):
    """The networks of the CNN folder --blend-with and this one, their logits averaged with
    weight w on this one and (1 - w) shared equally by theirs: w chosen from BLEND_WEIGHTS on the
    mean of SST-2 dev and IMDB dev accuracy (an average of linear layers is one linear layer:
    exported and explained as one ensemble)."""
    others, their_vocab = trainable_networks(args.blend_with)
    if their_vocab != vocab:
        raise SystemExit(f"--blend-with {args.blend_with}: another vocabulary")
    _, imdb_dev = split_imdb_train(load_imdb_train(args.data_dir, args.max_tokens, args.limit, args.seed))
    devs = {"sst2": encode(splits["dev"], vocab), "imdb": encode(imdb_dev, vocab)}
    theirs, ours = averaged(others), model
    logits = {name: (batch_logits(theirs, dev, device), batch_logits(ours, dev, device))
              for name, dev in devs.items()}
    scores = {w: {name: accuracy((1 - w) * a + w * b, [y for _, y in devs[name]])
                  for name, (a, b) in logits.items()} for w in BLEND_WEIGHTS}
    best = max(BLEND_WEIGHTS, key=lambda w: (np.mean(list(scores[w].values())), -w))
    print(f"blend weights on dev: {scores}; chosen {best}", flush=True)
    members = [*others, model]
    ensemble = KimCNNEnsemble(members, [(1 - best) / len(others)] * len(others) + [best])
    return ensemble, {"blend": {"with": args.blend_with, "weight": best, "members": len(members),
                                "dev": {str(w): v for w, v in scores.items()}},
                      "members": len(members)}, devs["imdb"]


def evaluate_and_write(args, model, vocab: list[str], info: dict, splits, device,
                       imdb_dev=None) -> None:
    """Temperature on dev, then every metric on the exported module: dev and test accuracy, the
    test sentences with a negator, the calibration error (and IMDB dev with --joint-imdb)."""
    data = {split: encode(splits[split], vocab) for split in ("dev", "test")}
    labels = {split: [y for _, y in data[split]] for split in data}
    dev_logits = served_logits(Explained(model), data["dev"], device)
    temperature = fit_temperature(dev_logits, labels["dev"])
    explained = Explained(model, temperature)
    test_logits = served_logits(explained, data["test"], device)
    slice_ = np.array([negated(tokens) for tokens, _ in splits["test"]])
    d = args.dataset
    metrics = {f"{d}_test_accuracy": accuracy(test_logits, labels["test"]),
               f"{d}_dev_accuracy": accuracy(dev_logits, labels["dev"]),
               f"{d}_test_negation_accuracy": accuracy(test_logits[slice_],
                                                       np.asarray(labels["test"])[slice_]),
               f"{d}_test_negation_sentences": int(slice_.sum()),
               f"{d}_test_ece": expected_calibration_error(test_logits, labels["test"]),
               "temperature": temperature,
               "dev_ece_before_calibration": expected_calibration_error(dev_logits, labels["dev"]),
               "dev_ece_after_calibration": expected_calibration_error(dev_logits / temperature,
                                                                       labels["dev"])}
    if imdb_dev:
        metrics["imdb_dev_accuracy"] = accuracy(served_logits(explained, imdb_dev, device),
                                                [y for _, y in imdb_dev])
    print(json.dumps(metrics, indent=2))
    record(args.results, f"{args.name}/{d}", {**metrics, "training": info,
                                              "command": command_line()})
    if args.out:
        results = json.loads(Path(args.results).read_text())
        imdb_used = info.get("pretrain_epochs") or info.get("joint_imdb")
        write_folder(Path(args.out), explained.cpu(), vocab, info,
                     metrics | cv_metrics(results, args.name), comparison=results,
                     data_files=[Path(args.data_dir) / f for f in SST[d][0].values()]
                     + ([Path(args.data_dir) / IMDB_TRAIN] if imdb_used else []),
                     max_tokens=args.max_tokens, labels=SST[d][1])


def command_line() -> str:
    return "python -m export.classifier.train " + " ".join(sys.argv[1:])


def parse_overrides(pairs: list[str]) -> dict:
    """--set epochs=5 lr=0.5: training settings as plain values."""
    return {k: json.loads(v) if v[:1].isdigit() else v for k, v in (p.split("=", 1) for p in pairs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="cnn-non-static",
                        choices=["cnn-rand", "cnn-static", "cnn-non-static", "cnn-multichannel",
                                 "bilstm"])
    parser.add_argument("--name", help="results key of this variant (default: --model)")
    parser.add_argument("--dataset", default="sst2", choices=["sst2", "sst1", "mr"])
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
    parser.add_argument("--pretrain-on", choices=["reviews", "sentences"], default="reviews",
                        help="--pretrain-epochs on IMDB's reviews (up to --max-tokens) or on their "
                             "sentences, each labeled as its review")
    parser.add_argument("--joint-imdb", action="store_true",
                        help="SST-2: train one CNN on SST-2 and IMDB's training reviews together")
    parser.add_argument("--sst2-repeat", type=int, default=2,
                        help="--joint-imdb: SST-2's training sentences this many times an epoch")
    parser.add_argument("--finetune-epochs", type=int, default=0,
                        help="--joint-imdb: then this many epochs on SST-2 alone (chosen alike)")
    parser.add_argument("--init", help="a shipped CNN weights folder: its first network's table "
                                       "and vocabulary as the vectors (--joint-imdb: the whole "
                                       "network as the start)")
    parser.add_argument("--blend-with", help="a CNN weights folder of the same vocabulary: export "
                                             "its networks and this one averaged, the weight "
                                             "chosen on SST-2 dev + IMDB dev")
    parser.add_argument("--continue-from", help="a shipped CNN weights folder: train each of its "
                                                "networks further (SST-2)")
    parser.add_argument("--augment-negation", type=int, default=0,
                        help="--continue-from: train beside N made-up negated and plain sentences")
    parser.add_argument("--select", choices=["dev", "dev+negation"], default="dev",
                        help="--continue-from: keep each network's epoch best on SST-2 dev, or on "
                             "the mean of dev and dev's sentences with a negator")
    parser.add_argument("--state", help="save the run here after every epoch; resume from it")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--folds-run", type=int, default=0, help="run only the first N folds")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N sentences")
    parser.add_argument("--max-tokens", type=int, default=200,
                        help="IMDB reviews are cut to this in training; the manifest records it")
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
    named, args.name = args.name, args.name or args.model
    if args.members > 1 and (args.model == "bilstm" or args.members > args.seeds):
        parser.error("--members: CNNs only, and at most --seeds")
    if args.joint_imdb and (args.dataset != "sst2" or args.model == "bilstm"):
        parser.error("--joint-imdb: SST-2 and a CNN only")
    if args.continue_from and (args.dataset != "sst2" or args.joint_imdb or args.init):
        parser.error("--continue-from: SST-2, without --joint-imdb or --init")
    if args.augment_negation and not args.continue_from:
        parser.error("--augment-negation: with --continue-from")
    if args.dataset == "sst1" and args.pretrain_epochs and args.pretrain_on == "sentences":
        parser.error("--pretrain-on sentences: two labels only (each sentence takes its review's side); "
                     "SST-1 reads whole reviews, labeled by their stars")
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)  # the initial weights too
    if args.dataset == "mr":
        run_cv(args, device)
        return
    splits = {k: v[:args.limit or None] for k, v in load_sst2(args.data_dir, args.dataset).items()}
    imdb_dev = None
    if args.from_checkpoint:
        model, vocab, info = load_checkpoint(args.from_checkpoint)
        args.model, args.name = info["model"], named or info.get("name", info["model"])
    elif args.joint_imdb:
        model, vocab, info, imdb_dev = train_joint(args, device, splits)
    elif args.continue_from:
        model, vocab, info = continue_members(args, device, splits)
    else:
        model, vocab, info = train_sst2(args, device, splits)
    if args.blend_with:
        model, blended, imdb_dev = blend(args, model, vocab, splits, device)
        info = {**info, **blended}
    evaluate_and_write(args, model, vocab, info, splits, device, imdb_dev)


if __name__ == "__main__":
    main()
