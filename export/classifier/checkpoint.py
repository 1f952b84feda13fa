"""A trained classifier as one safetensors file (fp16 weights, vocabulary, training info), so
that a network trained on another machine is calibrated, measured and exported here."""
import json

import torch

from export.classifier.model import Explained, averaged, build_model


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
