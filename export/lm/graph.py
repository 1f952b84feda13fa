"""The word lookup of a tied language model's step graph, done directly:

    python -m export.lm.graph weights/lm-lstm

The exporter writes the lookup as reshape tokens to a list, Gather the columns of the (hidden,
vocab) matrix, transpose and reshape back to (seq, batch, hidden): eleven shape ops (Shape,
Slice, Concat, Unsqueeze, Reshape) around one Gather, which cost about 7% of a generation step in
onnxruntime. Gathering with the (seq, batch) tokens as they come and one Transpose gives the same
values. export_step applies it to every new export; run as above, it rewrites a shipped folder
(int8 graphs have a DequantizeLinear after the Gather, which stays), checks that the new graph's
outputs equal the old one's bit for bit on the PTB test set, and rewrites the manifest's checksums.
"""
import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper

from export.corpora import DEFAULT_DATA_DIR
from export.lm.data import read_words
from export.lm.evaluate import ids_of
from export.manifest import write_manifest
from serving.onnx_session import make_session
from serving.weights import read_vocab

WORDS = ("words", "words_quantized")


def direct_lookup(path: Path) -> None:
    """Rewrite the graph at path in place: Gather(words, tokens, axis=1) -> [DequantizeLinear]
    -> Transpose(1, 2, 0) -> embedded."""
    model = onnx.load(str(path))
    graph = model.graph
    consumer = {name: node for node in graph.node for name in node.input}
    gather = next(n for n in graph.node if n.op_type == "Gather" and n.input[0] in WORDS)
    node = consumer[gather.output[0]]
    if node.op_type == "DequantizeLinear":
        node = consumer[node.output[0]]
    transpose, reshape = node, consumer[node.output[0]]
    gather.input[1] = "tokens"
    del transpose.attribute[:]
    transpose.attribute.append(helper.make_attribute("perm", [1, 2, 0]))
    transpose.output[0] = reshape.output[0]
    graph.node.remove(reshape)
    while dead := [n for n in graph.node if not used(graph, n)]:
        for n in dead:
            graph.node.remove(n)
    del graph.value_info[:]  # shapes inferred for the old lookup; onnxruntime infers its own
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def used(graph: onnx.GraphProto, node: onnx.NodeProto) -> bool:
    needed = {name for n in graph.node for name in n.input} | {o.name for o in graph.output}
    return any(name in needed for name in node.output)


def same_outputs(old: Path, new: Path, ids: np.ndarray, window: int = 100) -> bool:
    """Both graphs fed the token stream in windows, with the state carried: equal outputs."""
    a, b = make_session(old, 1), make_session(new, 1)
    state = {i.name: np.zeros((i.shape[0], 1, i.shape[2]), np.float32)
             for i in a.get_inputs() if i.name != "tokens"}
    outputs = [o.name for o in a.get_outputs()]
    for start in range(0, len(ids), window):
        feeds = {"tokens": ids[start:start + window, None], **state}
        x, y = a.run(None, feeds), b.run(None, feeds)
        if not all(np.array_equal(u, v) for u, v in zip(x, y)):
            return False
        state = {n: x[outputs.index(f"{n}_out")] for n in state}
    return True


def rewrite(folder: Path, data_dir: Path = DEFAULT_DATA_DIR) -> dict:
    vocab = read_vocab(folder)
    ids = ids_of(read_words(Path(data_dir) / "ptb" / "ptb.test.txt"), vocab)
    with tempfile.TemporaryDirectory() as tmp:
        new = Path(tmp) / "model.onnx"
        shutil.copyfile(folder / "model.onnx", new)
        direct_lookup(new)
        if not same_outputs(folder / "model.onnx", new, ids):
            raise SystemExit(f"{folder}: the rewritten graph's outputs differ; left as it was")
        shutil.copyfile(new, folder / "model.onnx")
    manifest = json.loads((folder / "manifest.json").read_text())
    write_manifest(folder, {k: v for k, v in manifest.items() if k != "files"})
    return {"folder": folder.as_posix(), "same_outputs_on_ptb_test": True, "tokens": len(ids)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", type=Path)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = p.parse_args()
    for folder in args.folders:
        print(json.dumps(rewrite(folder, args.data_dir)))


if __name__ == "__main__":
    main()
