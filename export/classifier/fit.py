"""The training loop of one classifier: batches, SGD epochs with the epoch best on dev kept, and
the IMDB pass before the task. A run given a state file saves itself there after every epoch and
resumes from it (whole IMDB reviews make epochs long)."""
import math
import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from export.classifier.checkpoint import load_training_state, save_training_state
from export.classifier.data import Encoded
from export.classifier.model import PAD_ID, Explained, max_norm_

# Kim (2014): Adadelta, mini-batches of 50, 25 epochs. The BiLSTM converges faster with Adam.
TRAINING = {"cnn": {"optimizer": "adadelta", "lr": 1.0, "epochs": 25, "batch_size": 50},
            "bilstm": {"optimizer": "adam", "lr": 1e-3, "epochs": 10, "batch_size": 50}}


def batch_order(data: Encoded, batch_size: int, rng: np.random.Generator | None = None,
                by_length: bool = False) -> list[np.ndarray]:
    """The example indices of each batch: shuffled when rng is given; by_length, batches of
    neighbours in length (whole reviews run from 10 to 5,000 tokens: little padding), the
    batches in random order."""
    order = rng.permutation(len(data)) if rng is not None else np.arange(len(data))
    if by_length:
        order = order[np.argsort([len(data[i][0]) for i in order], kind="stable")]
    chunks = [order[start:start + batch_size] for start in range(0, len(data), batch_size)]
    return [chunks[i] for i in rng.permutation(len(chunks))] if by_length and rng is not None else chunks


def batches(data: Encoded, batch_size: int, rng: np.random.Generator | None = None,
            by_length: bool = False):
    """(ids [B, T] padded with <pad>, lengths [B], labels [B]) in batch_order."""
    for indices in batch_order(data, batch_size, rng, by_length):
        chunk = [data[i] for i in indices]
        lengths = torch.tensor([len(ids) for ids, _ in chunk])
        ids = torch.full((len(chunk), int(lengths.max())), PAD_ID, dtype=torch.long)
        for row, (seq, _) in enumerate(chunk):
            ids[row, :len(seq)] = torch.tensor(seq)
        yield ids, lengths, torch.tensor([label for _, label in chunk])


def accuracy(logits: np.ndarray, labels) -> float:
    return float((logits.argmax(axis=1) == np.asarray(labels)).mean())


@torch.no_grad()
def batch_logits(model, data: Encoded, device, batch_size: int = 50) -> np.ndarray:
    """Logits in data's order, computed in batches of similar length."""
    model.eval()
    logits = torch.cat([model(ids.to(device), lengths.to(device)).cpu()
                        for ids, lengths, _ in batches(data, batch_size, by_length=True)]).numpy()
    out = np.empty_like(logits)
    out[np.concatenate(batch_order(data, batch_size, by_length=True))] = logits
    return out


def dev_scores(model, devs: dict[str, Encoded], device) -> dict[str, float]:
    return {name: accuracy(batch_logits(model, dev, device), [y for _, y in dev])
            for name, dev in devs.items()}


@torch.no_grad()
def served_logits(explained: Explained, data: Encoded, device) -> np.ndarray:
    """Logits of the exported module, one unpadded sentence at a time, as serving runs it."""
    explained.to(device)
    return torch.cat([explained(torch.tensor([ids], device=device))[0].cpu()
                      for ids, _ in data]).numpy()


def train_model(model, train: Encoded, dev: Encoded | dict[str, Encoded], *, optimizer: str,
                lr: float, epochs: int, batch_size: int, device, seed: int, desc: str,
                by_length: bool = False, score_start: bool = False, state_path=None,
                history: list | None = None) -> tuple[float, int]:
    """Trains in place and leaves the weights of the epoch with the best dev accuracy (several
    dev sets: the best mean of their accuracies; score_start: epoch 0, the starting weights,
    competes too); returns (that accuracy, that epoch). Each epoch's dev accuracies and seconds
    are appended to history; with state_path the run is saved there after every epoch and
    resumed from it."""
    devs = dev if isinstance(dev, dict) else {"dev": dev}
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = (torch.optim.Adadelta(params, lr=lr, rho=0.95, eps=1e-6) if optimizer == "adadelta"
           else torch.optim.Adam(params, lr=lr))
    best_acc, best_epoch, best_state, done = -1.0, 0, None, 0
    history = [] if history is None else history
    if state_path and Path(state_path).exists():
        best_state, best_acc, best_epoch, done, past = load_training_state(state_path, model, opt)
        history.extend(past)
        print(f"{desc}: resumed after epoch {done} (best {best_acc:.4f}@{best_epoch})", flush=True)
    elif score_start:
        scores = dev_scores(model, devs, device)
        history.append({"epoch": 0, **scores})
        best_acc = float(np.mean(list(scores.values())))
        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    steps = math.ceil(len(train) / batch_size)
    bar = tqdm(total=epochs * steps, initial=done * steps, desc=desc, mininterval=2)
    for epoch in range(done + 1, epochs + 1):
        if state_path:  # seeded per epoch, so that a resumed run goes on as it would have
            torch.manual_seed(seed * 1000 + epoch)
            rng = np.random.default_rng([seed, epoch])
        started = time.time()
        model.train()
        for ids, lengths, labels in batches(train, batch_size, rng, by_length):
            loss = F.cross_entropy(model(ids.to(device), lengths.to(device)), labels.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            max_norm_(model)
            bar.update()
        scores = dev_scores(model, devs, device)
        history.append({"epoch": epoch, **scores, "seconds": round(time.time() - started)})
        acc = float(np.mean(list(scores.values())))
        if acc > best_acc:
            best_acc, best_epoch = acc, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        bar.set_postfix(loss=f"{loss.item():.3f}", dev=" ".join(f"{v:.4f}" for v in scores.values()),
                        best=f"{best_acc:.4f}@{best_epoch}")
        if state_path:
            save_training_state(state_path, model, opt, best_state, best_acc, best_epoch, epoch,
                                history)
            print(f"{desc}: epoch {epoch} {scores} saved to {state_path}", flush=True)
    bar.close()
    model.load_state_dict(best_state)
    return best_acc, best_epoch


def train_restart(model, train: Encoded, dev: Encoded, imdb: Encoded | None, *, hyper: dict,
                  pretrain_epochs: int, device, seed: int, desc: str) -> tuple[float, int]:
    """train_model on the task, after (with imdb) pretrain_epochs on IMDB's labeled reviews:
    25,000 movie reviews tune the vectors of sentiment words that the task's few thousand
    training sentences never show. The IMDB epoch kept is also the one best on dev."""
    if imdb:
        train_model(model, imdb, dev, device=device, seed=seed, desc=f"{desc}, IMDB first",
                    **{**hyper, "epochs": pretrain_epochs})
    return train_model(model, train, dev, device=device, seed=seed, desc=desc, **hyper)


def device_name(device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
