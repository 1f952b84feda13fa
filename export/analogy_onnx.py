"""The word-vector query as one ONNX graph: vector arithmetic, cosine against the vocabulary,
exclusion of the query words and top-k, for 3CosAdd and 3CosMul at once.

Scores follow gensim exactly: 3CosAdd is `most_similar` (cosine with the normalised sum of unit
vectors, +1 for positive words and -1 for negative ones), 3CosMul is `most_similar_cosmul`
(Levy & Goldberg 2014: product of (1 + cos) / 2 over positives divided by the product over
negatives plus 1e-6). Both derive from one [V, P+N] cosine matrix, so a query costs one MatMul.
"""
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

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


def build_analogy_graph(vectors: np.ndarray) -> onnx.ModelProto:
    """`lookup_ids` -> `lookup_vectors` returns the stored unit vectors of any words (pass empty
    query ids and topn 1 for a lookup alone).

    `vectors` [V, d] are stored unit-normalised in fp16 as the initializer `embeddings`;
    onnxruntime folds the Cast to float32 and the
    renormalisation once, when the session is created."""
    const = numpy_helper.from_array
    initializers = [
        const(unit_rows(vectors).astype(np.float16), "embeddings"),
        const(np.array([0], np.int64), "axis0"),
        const(np.array([1], np.int64), "axis1"),
        const(np.array([np.iinfo(np.int64).max], np.int64), "int_max"),
        const(np.array(1.0, np.float32), "one_f"),
        const(np.array(0.5, np.float32), "half_f"),
        const(np.array(1e-6, np.float32), "eps"),
        const(np.array([-np.inf], np.float32), "minus_inf"),
    ]
    node = helper.make_node
    nodes = [
        node("Cast", ["embeddings"], ["E_stored"], to=TensorProto.FLOAT),
        node("LpNormalization", ["E_stored"], ["E"], axis=1, p=2),   # fp16 rounding left them near 1
        node("Concat", ["positive_ids", "negative_ids"], ["query_ids"], axis=0),
        node("Gather", ["E", "query_ids"], ["Q"], axis=0),                  # [P+N, d]
        node("Transpose", ["Q"], ["Q_T"], perm=[1, 0]),
        node("MatMul", ["E", "Q_T"], ["cos"]),                              # [V, P+N]
        # 3CosAdd: signed sum of the query vectors, normalised; cosine via the cos matrix
        node("Shape", ["positive_ids"], ["P"]),
        node("Shape", ["negative_ids"], ["N"]),
        node("ConstantOfShape", ["P"], ["w_pos"], value=const(np.array([1.0], np.float32))),
        node("ConstantOfShape", ["N"], ["w_neg"], value=const(np.array([-1.0], np.float32))),
        node("Concat", ["w_pos", "w_neg"], ["w"], axis=0),                  # [P+N]
        node("Unsqueeze", ["w", "axis0"], ["w_row"]),                       # [1, P+N]
        node("MatMul", ["w_row", "Q"], ["q"]),                              # [1, d]
        node("ReduceL2", ["q"], ["q_norm"], keepdims=0),
        node("MatMul", ["cos", "w"], ["cos_w"]),                            # [V]
        node("Div", ["cos_w", "q_norm"], ["cosadd_all"]),
        # 3CosMul: products of (1 + cos) / 2 over positive and over negative columns
        node("Add", ["cos", "one_f"], ["cos_plus_one"]),
        node("Mul", ["cos_plus_one", "half_f"], ["cos01"]),
        node("Slice", ["cos01", "axis0", "P", "axis1"], ["cos_pos"]),
        node("Slice", ["cos01", "P", "int_max", "axis1"], ["cos_neg"]),
        node("ReduceProd", ["cos_pos", "axis1"], ["prod_pos"], keepdims=0),
        node("ReduceProd", ["cos_neg", "axis1"], ["prod_neg"], keepdims=0),
        node("Add", ["prod_neg", "eps"], ["prod_neg_eps"]),
        node("Div", ["prod_pos", "prod_neg_eps"], ["cosmul_all"]),
        # the query words never answer themselves
        node("Shape", ["query_ids"], ["n_query"]),
        node("Expand", ["minus_inf", "n_query"], ["excluded"]),
        # unit vectors of any words, for the 2-D picture of a query
        node("Gather", ["E", "lookup_ids"], ["lookup_vectors"], axis=0),
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
                              producer_name="export.analogy_onnx")
    model.ir_version = 10
    onnx.checker.check_model(model, full_check=True)
    return model


def write_word_vectors_folder(folder: str | Path, words: list[str], vectors: np.ndarray,
                              manifest: dict) -> dict:
    """model.onnx + vocab.txt + manifest.json: the weights folder serving/ loads."""
    from export.manifest import write_manifest
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(build_analogy_graph(vectors), folder / "model.onnx")
    (folder / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    return write_manifest(folder, {
        **manifest, "format": "onnx-analogy", "opset": OPSET,
        "inputs": INPUTS, "outputs": OUTPUTS,
        "vocabulary": {"file": "vocab.txt", "size": len(words), "dim": int(vectors.shape[1])},
    })
