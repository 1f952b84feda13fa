"""The word-vector query as one ONNX graph: vector arithmetic, cosine against the vocabulary,
exclusion of the query words and top-k, for 3CosAdd and 3CosMul at once.

Scores follow gensim exactly: 3CosAdd is `most_similar` (cosine with the normalised sum of unit
vectors, +1 for positive words and -1 for negative ones), 3CosMul is `most_similar_cosmul`
(Levy & Goldberg 2014: product of (1 + cos) / 2 over positives divided by the product over
negatives plus 1e-6). Both derive from one [P+N+1, V] cosine matrix, so a query costs one MatMul.

    python -m export.word2vec.export weights/word2vec   # rebuild a folder's graph from its stored vectors
"""
import argparse
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from export.manifest import write_manifest
from export.word2vec.from_onnx import stored_embeddings
from serving.weights import write_vocab

OPSET = 21
INPUTS = [{"name": "positive_ids", "dtype": "int64", "shape": ["P"]},
          {"name": "negative_ids", "dtype": "int64", "shape": ["N"]},
          {"name": "topn", "dtype": "int64", "shape": [1]},
          {"name": "lookup_ids", "dtype": "int64", "shape": ["L"]}]
OUTPUTS = [{"name": f"{method}_{part}", "dtype": dtype, "shape": ["topn"]}
           for method in ("cosadd", "cosmul")
           for part, dtype in (("scores", "float32"), ("ids", "int64"))] + [
    {"name": "lookup_vectors", "dtype": "float32", "shape": ["L", "dim"]}]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def as_unit_float(stored: str, unit: str) -> list[onnx.NodeProto]:
    """fp16 rows -> float32 rows renormalised (fp16 rounding left them near length 1)."""
    return [helper.make_node("Cast", [stored], [f"{stored}_f32"], to=TensorProto.FLOAT),
            helper.make_node("LpNormalization", [f"{stored}_f32"], [unit], axis=1, p=2)]


def build_analogy_graph(embeddings: np.ndarray) -> onnx.ModelProto:
    """`lookup_ids` -> `lookup_vectors` returns the stored unit vectors of any words (pass empty
    query ids and topn 1 for a lookup alone).

    `embeddings` are the fp16 unit rows [V, d] (the initializer other readers expect).
    onnxruntime folds their Cast to float32, renormalisation and transpose to [d, V] once, when
    the session is created, so the vocabulary is the constant right operand of the one big MatMul
    and MLAS packs it once. The old layout, vocabulary on the left of a [V, d] x [d, P+N] product
    plus a [V, P+N] x [P+N] product for 3CosAdd, cost 6 + 7 ms per query; now the 3CosAdd
    direction is one more row of the single product. Query and lookup rows are gathered from the
    fp16 initializer (bit-identical results), so the float32 copy is only the packed one."""
    const = numpy_helper.from_array
    initializers = [
        const(embeddings, "embeddings"),
        const(np.array([0], np.int64), "axis0"),
        const(np.array([np.iinfo(np.int64).max], np.int64), "int_max"),
        const(np.array(1.0, np.float32), "one_f"),
        const(np.array(0.5, np.float32), "half_f"),
        const(np.array(1e-6, np.float32), "eps"),
        const(np.array([-np.inf], np.float32), "minus_inf"),
    ]
    node = helper.make_node
    nodes = [
        *as_unit_float("embeddings", "E"),
        node("Transpose", ["E"], ["E_T"], perm=[1, 0]),                     # [d, V]
        node("Concat", ["positive_ids", "negative_ids"], ["query_ids"], axis=0),
        node("Gather", ["embeddings", "query_ids"], ["Q_stored"], axis=0),
        *as_unit_float("Q_stored", "Q"),                                    # [P+N, d]
        # 3CosAdd: signed sum of the query vectors, normalised, as one more query row
        node("Shape", ["positive_ids"], ["P"]),
        node("Shape", ["negative_ids"], ["N"]),
        node("Shape", ["query_ids"], ["n_query"]),
        node("ConstantOfShape", ["P"], ["w_pos"], value=const(np.array([1.0], np.float32))),
        node("ConstantOfShape", ["N"], ["w_neg"], value=const(np.array([-1.0], np.float32))),
        node("Concat", ["w_pos", "w_neg"], ["w"], axis=0),                  # [P+N]
        node("Unsqueeze", ["w", "axis0"], ["w_row"]),                       # [1, P+N]
        node("MatMul", ["w_row", "Q"], ["q"]),                              # [1, d]
        node("ReduceL2", ["q"], ["q_norm"], keepdims=1),
        node("Div", ["q", "q_norm"], ["q_unit"]),
        node("Concat", ["Q", "q_unit"], ["rows"], axis=0),                  # [P+N+1, d]
        node("MatMul", ["rows", "E_T"], ["cos"]),                           # [P+N+1, V]
        node("Slice", ["cos", "n_query", "int_max", "axis0"], ["cosadd_row"]),
        node("Squeeze", ["cosadd_row", "axis0"], ["cosadd_all"]),           # [V]
        # 3CosMul: products of (1 + cos) / 2 over positive and over negative rows
        node("Add", ["cos", "one_f"], ["cos_plus_one"]),
        node("Mul", ["cos_plus_one", "half_f"], ["cos01"]),
        node("Slice", ["cos01", "axis0", "P", "axis0"], ["cos_pos"]),
        node("Slice", ["cos01", "P", "n_query", "axis0"], ["cos_neg"]),
        node("ReduceProd", ["cos_pos", "axis0"], ["prod_pos"], keepdims=0),
        node("ReduceProd", ["cos_neg", "axis0"], ["prod_neg"], keepdims=0),
        node("Add", ["prod_neg", "eps"], ["prod_neg_eps"]),
        node("Div", ["prod_pos", "prod_neg_eps"], ["cosmul_all"]),
        # the query words never answer themselves
        node("Expand", ["minus_inf", "n_query"], ["excluded"]),
        # unit vectors of any words, for the 2-D picture of a query
        node("Gather", ["embeddings", "lookup_ids"], ["lookup_stored"], axis=0),
        *as_unit_float("lookup_stored", "lookup_vectors"),
    ]
    for method in ("cosadd", "cosmul"):
        nodes += [
            node("ScatterElements", [f"{method}_all", "query_ids", "excluded"],
                 [f"{method}_masked"], axis=0),
            node("TopK", [f"{method}_masked", "topn"], [f"{method}_scores", f"{method}_ids"],
                 axis=0, largest=1, sorted=1),
        ]
    dtypes = {"int64": TensorProto.INT64, "float32": TensorProto.FLOAT}
    graph = helper.make_graph(
        nodes, "word_vector_query",
        inputs=[helper.make_tensor_value_info(i["name"], dtypes[i["dtype"]], i["shape"]) for i in INPUTS],
        outputs=[helper.make_tensor_value_info(o["name"], dtypes[o["dtype"]], o["shape"]) for o in OUTPUTS],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="export.word2vec.export")
    model.ir_version = 10
    onnx.checker.check_model(model, full_check=True)
    return model


def write_word_vectors_folder(folder: str | Path, words: list[str], vectors: np.ndarray,
                              manifest: dict) -> dict:
    """model.onnx + vocab.txt + manifest.json: the weights folder serving/ loads."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(build_analogy_graph(unit_rows(vectors).astype(np.float16)), folder / "model.onnx")
    write_vocab(folder, words)
    return write_manifest(folder, {
        **manifest, "format": "onnx-analogy", "opset": OPSET,
        "inputs": INPUTS, "outputs": OUTPUTS,
        "vocabulary": {"file": "vocab.txt", "size": len(words), "dim": int(vectors.shape[1])},
    })


def rewrite_folder(folder: str | Path) -> dict:
    """Rebuild a folder's model.onnx with this module's graph from the matrix it already stores
    (copied bit for bit, so its measured metrics still hold) and refresh the manifest's checksums:
    vectors exported by an older graph get the current query without retraining."""
    folder = Path(folder)
    embeddings = stored_embeddings(folder / "model.onnx")
    onnx.save(build_analogy_graph(embeddings), folder / "model.onnx")
    manifest = json.loads((folder / "manifest.json").read_text())
    return write_manifest(folder, {**manifest, "opset": OPSET, "inputs": INPUTS, "outputs": OUTPUTS})


def main() -> None:
    parser = argparse.ArgumentParser(description="Rebuild word-vector folders' model.onnx in place.")
    parser.add_argument("folders", nargs="+")
    for folder in parser.parse_args().folders:
        rewrite_folder(folder)
        print(f"rewrote {folder}/model.onnx and its manifest checksums")


if __name__ == "__main__":
    main()
