"""A trained classifier as one safetensors file (fp16 weights, vocabulary, training info), so
that a network trained on another machine is calibrated, measured and exported here; and a
training run's state between epochs, to resume it."""
import json
from pathlib import Path

import torch

from export.classifier.model import Explained, averaged, build_model


def save_checkpoint(path, model, vocab: list[str], info: dict) -> None:
    """fp16 weights, vocabulary and training info in one file. A multichannel CNN is saved with
    its two tables folded into one, as exported, and loads back as a non-static CNN (an
    ensemble, as an ensemble of them)."""
    from safetensors.torch import save_file
    state = dict(Explained(model).model.state_dict())
    state = {k: v.detach().cpu().half().contiguous() for k, v in state.items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)  # not found only after the whole run
    save_file(state, str(path), metadata={"vocab": "\n".join(vocab), "info": json.dumps(info)})


def load_checkpoint(path):
    """(model with the checkpoint's weights, vocab, info); as many labels as its output layer has."""
    from safetensors import safe_open
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        state = {k: f.get_tensor(k).float() for k in f.keys()}
    vocab, info = meta["vocab"].split("\n"), json.loads(meta["info"])
    kind = "cnn-non-static" if info["model"] == "cnn-multichannel" else info["model"]
    classes = state["out.bias"].shape[0]
    singles = [build_model(kind, len(vocab), torch.zeros(len(vocab), info["dim"]), classes=classes)
               for _ in range(info.get("members", 1))]
    model = averaged(singles)
    model.load_state_dict(state)
    return model, vocab, info


def save_training_state(path, model, opt, best_state: dict, best_acc: float, best_epoch: int,
                        epoch: int, history: list) -> None:
    """A run between epochs (float32 weights, the optimizer's state, the best epoch's weights)
    as safetensors, written to a temporary name and renamed: a run killed mid-write keeps the
    previous epoch's file."""
    from safetensors.torch import save_file
    opt_state = opt.state_dict()
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors |= {f"best.{k}": v for k, v in best_state.items()}
    tensors |= {f"opt.{i}.{name}": torch.as_tensor(v) for i, stats in opt_state["state"].items()
                for name, v in stats.items()}
    meta = {"best_acc": best_acc, "best_epoch": best_epoch, "epoch": epoch, "history": history,
            "param_groups": opt_state["param_groups"]}
    tmp = Path(f"{path}.tmp")
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp),
              metadata={"state": json.dumps(meta)})
    tmp.replace(path)


def load_training_state(path, model, opt) -> tuple[dict, float, int, int, list]:
    """Restores model and optimizer in place; (best_state, best_acc, best_epoch, epoch, history)."""
    from safetensors import safe_open
    with safe_open(str(path), framework="pt") as f:
        meta = json.loads(f.metadata()["state"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}

    def part(prefix: str) -> dict:
        return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    model.load_state_dict(part("model."))
    state: dict = {}
    for key, value in part("opt.").items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    return part("best."), meta["best_acc"], meta["best_epoch"], meta["epoch"], meta["history"]
