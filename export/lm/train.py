"""Train one word-level language model on PTB: `python -m export.lm.train --cell lstm`.

Truncated BPTT with the state carried across windows, gradient-norm clipping, SGD with the
learning rate divided after a fixed epoch (Zaremba et al. 2014) and whenever validation
perplexity stops improving. From --average-from on, the model validated and kept is the mean of
the weights after every step of the epoch (tail averaging, after Polyak's and AWD-LSTM's
averaged SGD): SGD's iterates wander around a minimum and their mean lies nearer it than any one
of them. A mean since the first averaged epoch lags: old iterates weigh in it as much as new
ones (under it the GRU's validation stalled, 93.65 then 93.62, as its training perplexity fell).
Every epoch saves the best model (fp16 shards) and the last one (fp32, for --resume); a
wall-clock budget (--max-minutes) ends training cleanly. With
--weights-dir the best model is then exported, quantized and measured into weights/lm-<cell>/.
"""
import argparse
import json
import math
import time
from pathlib import Path

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from export.corpora import DEFAULT_DATA_DIR
from export.lm.checkpoint import load_record, load_weights, save_best, save_last, save_record
from export.lm.data import batchify, load_ptb, windows
from export.lm.model import RecurrentLM, build_model, detach


def evaluate(model: RecurrentLM, data: torch.Tensor, bptt: int) -> float:
    """Perplexity over a batchified split, state carried through the whole stream."""
    model.eval()
    state, total, count = model.initial_state(data.size(1)), 0.0, 0
    with torch.no_grad():
        for inputs, targets in windows(data, bptt):
            logits, state = model(inputs, state)
            total += nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(),
                                                 reduction="sum").item()
            count += targets.numel()
    return math.exp(total / count)


def train_epoch(model, data, optimizer, bptt: int, clip: float, deadline: float, desc: str,
                average: AveragedModel | None = None):
    """One pass; returns (train perplexity, words/s, finished). Stops early at the deadline.
    With `average`, every step's weights join it."""
    model.train()
    state, count, start = model.initial_state(data.size(1)), 0, time.monotonic()
    total = torch.zeros((), device=data.device)  # summed on the device: no sync per step
    bar = tqdm(windows(data, bptt), total=math.ceil((data.size(0) - 1) / bptt), desc=desc,
               mininterval=5, disable=None)
    for step, (inputs, targets) in enumerate(bar):
        if time.monotonic() > deadline:
            return math.exp(total.item() / max(count, 1)), count / (time.monotonic() - start), False
        state = detach(state)
        logits, state = model(inputs, state)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())
        optimizer.zero_grad(set_to_none=True)
        # Zaremba et al.: loss summed over the window's steps, averaged over the batch
        (loss * inputs.size(0)).backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if average is not None:
            average.update_parameters(model)
        total += loss.detach() * targets.numel()
        count += targets.numel()
        if step % 100 == 0 and not bar.disable:
            bar.set_postfix(loss=f"{total.item() / count:.3f}",
                            wps=f"{count / (time.monotonic() - start):.0f}", refresh=False)
    return math.exp(total.item() / count), count / (time.monotonic() - start), True


def continued_from(folder: str, model: RecurrentLM, record: dict, valid_data: torch.Tensor, bptt: int,
                   device: torch.device) -> dict:
    """Start from a shipped weights folder instead of random weights: its training curves become
    the first epochs of this run's history (so epochs count on from them) and its weights, as
    shipped, are the best so far at their own validation perplexity. This continues a schedule
    when the checkpoints that trained it are gone (they stay on the machine that trained them)."""
    from export.lm.from_onnx import load_torch_model  # onnx only here: a GPU host may lack it
    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    shipped = {k: manifest["hyperparameters"][k] for k in ("cell", "hidden", "layers", "tied")}
    if shipped != {k: record["config"][k] for k in shipped}:
        raise SystemExit(f"--init-from {folder}: its model is {shipped}, this run's is not")
    model.load_state_dict(load_torch_model(folder).state_dict())
    model.to(device)
    valid_ppl = evaluate(model, valid_data, bptt)
    history = manifest["training"]["curves"]
    print(f"continuing {folder} after epoch {len(history)}: valid {valid_ppl:.2f} as shipped")
    earlier = manifest["training"].get("runs") or [{"first_epoch": 1, "config": manifest["hyperparameters"]}]
    return {**record, "history": history, "best_valid_ppl": valid_ppl, "best_epoch": len(history),
            "seconds": float(manifest["training"]["seconds"]), "init_from": str(folder),
            "runs": earlier + [{"first_epoch": len(history) + 1, "config": record["config"]}]}


def with_run(record: dict, config: dict) -> dict:
    """The record with config as the settings in force from its next epoch on. `runs` keeps the
    settings of every stretch of epochs, so a manifest can say what a continued run's first
    epochs were trained with (a record from before `runs` existed starts it with its config)."""
    runs = record.get("runs") or [{"first_epoch": 1, "config": record["config"]}]
    if runs[-1]["config"] != config:
        runs = runs + [{"first_epoch": len(record["history"]) + 1, "config": config}]
    return {**record, "config": config, "runs": runs}


def train(args) -> dict:
    torch.manual_seed(args.seed)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    ptb_dir = Path(args.data_dir) / "ptb"
    vocab, splits = load_ptb(ptb_dir, args.max_tokens)
    train_data = batchify(splits["train"], args.batch_size).to(device)
    valid_data = batchify(splits["valid"], args.eval_batch_size).to(device)
    test_data = batchify(splits["test"], args.eval_batch_size).to(device)
    config = {k: getattr(args, k) for k in ("cell", "hidden", "layers", "dropout", "tied", "lr",
                                            "lr_decay", "decay_start", "clip", "batch_size",
                                            "bptt", "epochs", "seed", "max_tokens", "init_range",
                                            "average_from")}
    model = build_model(config, vocab_size=len(vocab)).to(device)
    prefix = Path(args.checkpoint_dir) / args.name
    prefix.parent.mkdir(parents=True, exist_ok=True)
    record = {"name": args.name, "config": config, "vocab_size": len(vocab), "history": [],
              "best_valid_ppl": math.inf, "best_epoch": 0, "lr": args.lr, "seconds": 0.0,
              "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
              "runs": [{"first_epoch": 1, "config": config}]}
    if args.resume and Path(f"{prefix}.json").exists():
        # the schedule now in force goes in the record: a resumed run may extend or change it
        record = with_run(load_record(prefix), config)
        load_weights(model, prefix, "last")
        print(f"resumed {prefix} after epoch {len(record['history'])}, lr {record['lr']:.4g}")
    elif args.init_from:
        record = continued_from(args.init_from, model, record, valid_data, args.bptt, device)
        save_best(model, prefix)
    best = build_model(config, vocab_size=len(vocab))
    best.load_state_dict(model.state_dict())
    if record["best_epoch"]:
        load_weights(best, prefix, "best")
    optimizer = torch.optim.SGD(model.parameters(), lr=record["lr"])
    start = time.monotonic() - record["seconds"]
    deadline = time.monotonic() + 60 * args.max_minutes   # this invocation's budget
    epoch_seconds = 0.0
    for epoch in range(len(record["history"]) + 1, args.epochs + 1):
        if time.monotonic() + epoch_seconds > deadline:
            print(f"{args.name}: stopping before epoch {epoch}: the next would pass --max-minutes")
            break
        epoch_start = time.monotonic()
        averaging = bool(args.average_from) and epoch >= args.average_from
        average = AveragedModel(model) if averaging else None  # its first update copies the weights
        train_ppl, wps, finished = train_epoch(model, train_data, optimizer, args.bptt, args.clip,
                                               deadline, f"{args.name} epoch {epoch}", average)
        if not finished:
            print(f"{args.name}: --max-minutes reached during epoch {epoch}; it is discarded")
            break
        kept = average.module if averaging else model
        valid_ppl = evaluate(kept, valid_data, args.bptt)
        last_valid_ppl = evaluate(model, valid_data, args.bptt) if averaging else valid_ppl
        epoch_seconds = time.monotonic() - epoch_start
        improved = valid_ppl < record["best_valid_ppl"]
        if improved:
            record.update(best_valid_ppl=valid_ppl, best_epoch=epoch)
            best.load_state_dict(kept.state_dict())
            save_best(kept, prefix)
        record["history"].append({"epoch": epoch, "lr": record["lr"], "train_ppl": train_ppl,
                                  "valid_ppl": valid_ppl, "averaged": averaging,
                                  "last_weights_valid_ppl": last_valid_ppl,
                                  "words_per_s": wps,
                                  "seconds": time.monotonic() - start})
        print(f"{time.strftime('%H:%M:%S')} {args.name} epoch {epoch:2d} lr {record['lr']:.4g} "
              f"train {train_ppl:8.2f} valid {valid_ppl:8.2f}"
              f"{f' (last weights {last_valid_ppl:.2f})' if averaging else ''} {wps:8.0f} words/s "
              f"{epoch_seconds:5.1f} s{' *' if improved else ''}", flush=True)
        if epoch >= args.decay_start or not improved:
            record["lr"] /= args.lr_decay
            for group in optimizer.param_groups:
                group["lr"] = record["lr"]
        record["seconds"] = time.monotonic() - start
        save_last(model, prefix)
        save_record(record, prefix)
    record["seconds"] = time.monotonic() - start
    best.to(device)
    record["test_ppl"] = evaluate(best, test_data, args.bptt)
    record["epochs_run"] = len(record["history"])
    save_record(record, prefix)
    print(f"{args.name}: best epoch {record['best_epoch']} valid {record['best_valid_ppl']:.2f} "
          f"test {record['test_ppl']:.2f} (fp32 torch, batch {args.eval_batch_size}) "
          f"in {record['seconds']:.0f} s", flush=True)
    if args.weights_dir:  # onnx and onnxruntime only to export: a GPU training host may lack them
        from export.lm.export import export_run
        export_run(prefix, Path(args.weights_dir) / f"lm-{args.cell}", Path(args.data_dir))
    return record


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cell", choices=("rnn", "gru", "lstm"), required=True)
    p.add_argument("--name", help="run name (default lm-<cell>)")
    p.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    p.add_argument("--checkpoint-dir", default="checkpoints")
    p.add_argument("--weights-dir", help="export the best model to <weights-dir>/lm-<cell>/")
    p.add_argument("--hidden", type=int, default=650)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--no-tie", dest="tied", action="store_false")
    p.add_argument("--init-range", type=float, default=0.05)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--lr-decay", type=float, default=1.2)
    p.add_argument("--decay-start", type=int, default=6, help="divide the lr every epoch from this one")
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--batch-size", type=int, default=20)
    p.add_argument("--eval-batch-size", type=int, default=10)
    p.add_argument("--bptt", type=int, default=35)
    p.add_argument("--epochs", type=int, default=39)
    p.add_argument("--max-minutes", type=float, default=math.inf,
                   help="wall-clock budget of this invocation (a resumed run gets its own)")
    p.add_argument("--max-tokens", type=int, help="use only the first N tokens of each split")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", help="cuda or cpu (default: cuda when available)")
    p.add_argument("--average-from", type=int, default=0,
                   help="from this epoch on, validate and keep each epoch's mean weights (0: never)")
    p.add_argument("--resume", action="store_true", help="continue from <checkpoint-dir>/<name>-last")
    p.add_argument("--init-from", help="continue from a shipped weights folder (e.g. weights/lm-rnn) "
                                       "at --lr; --epochs counts its epochs too")
    args = p.parse_args(argv)
    args.name = args.name or f"lm-{args.cell}"
    return args


if __name__ == "__main__":
    train(parse_args())
