"""Checkpoints as safetensors (never pickles): sharded fp16 'best' weights to ship, fp32 'last' to resume.

A run is named by a path prefix: PREFIX.json (config, per-epoch history, results),
PREFIX-best-0000k.safetensors (shards under a size cap, so each fits a file-size limit) and
PREFIX-last-0000k.safetensors.
"""
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

SHARD_BYTES = 16 * 2**20 - 2**16  # a 16 MiB per-file limit, less room for the header


def _own_tensors(model: torch.nn.Module, dtype) -> dict[str, torch.Tensor]:
    """Tied weights appear once (safetensors refuses shared storage); tying is redone on load."""
    skip = {"decoder.weight"} if getattr(model, "tied", False) else set()
    return {k: v.detach().to("cpu", dtype).contiguous() for k, v in model.state_dict().items()
            if k not in skip}


def save_shards(tensors: dict[str, torch.Tensor], prefix: str | Path, tag: str) -> list[Path]:
    for old in Path(prefix).parent.glob(f"{Path(prefix).name}-{tag}-*.safetensors"):
        old.unlink()
    shards, size = [{}], 0
    for name, t in tensors.items():
        nbytes = t.numel() * t.element_size()
        if shards[-1] and size + nbytes > SHARD_BYTES:
            shards.append({})
            size = 0
        shards[-1][name] = t
        size += nbytes
    paths = [Path(f"{prefix}-{tag}-{i + 1:05d}.safetensors") for i in range(len(shards))]
    for shard, path in zip(shards, paths):
        save_file(shard, str(path))
    return paths


def save_best(model, prefix) -> list[Path]:
    return save_shards(_own_tensors(model, torch.float16), prefix, "best")


def save_last(model, prefix) -> list[Path]:
    return save_shards(_own_tensors(model, torch.float32), prefix, "last")


def load_weights(model: torch.nn.Module, prefix, tag: str = "best") -> None:
    paths = sorted(Path(prefix).parent.glob(f"{Path(prefix).name}-{tag}-*.safetensors"))
    if not paths:
        raise FileNotFoundError(f"no {prefix}-{tag}-*.safetensors")
    state = {}
    for p in paths:
        state.update(load_file(str(p)))
    own = model.state_dict()
    missing = set(own) - set(state) - ({"decoder.weight"} if getattr(model, "tied", False) else set())
    if missing:
        raise ValueError(f"{prefix}-{tag}: missing tensors {sorted(missing)}")
    with torch.no_grad():
        for k, v in state.items():
            own[k].copy_(v.to(own[k].dtype))


def save_record(record: dict, prefix) -> None:
    Path(f"{prefix}.json").write_text(json.dumps(record, indent=1) + "\n")


def load_record(prefix) -> dict:
    return json.loads(Path(f"{prefix}.json").read_text())
