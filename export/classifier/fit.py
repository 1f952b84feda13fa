"""The training loop of one classifier: batches, SGD epochs with the epoch best on dev kept, and
the IMDB pass before the task."""
import math
import platform

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from export.classifier.data import Encoded
from export.classifier.model import PAD_ID, Explained, max_norm_

# Kim (2014): Adadelta, mini-batches of 50, 25 epochs. The BiLSTM converges faster with Adam.
TRAINING = {"cnn": {"optimizer": "adadelta", "lr": 1.0, "epochs": 25, "batch_size": 50},
            "bilstm": {"optimizer": "adam", "lr": 1e-3, "epochs": 10, "batch_size": 50}}


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
