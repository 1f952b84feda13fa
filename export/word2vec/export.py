"""The word-vector query as one ONNX graph: vector arithmetic, cosine against the vocabulary,
exclusion of the query words and top-k, for 3CosAdd and 3CosMul at once.

Scores follow gensim exactly: 3CosAdd is `most_similar` (cosine with the normalised sum of unit
vectors, +1 for positive words and -1 for negative ones), 3CosMul is `most_similar_cosmul`
(Levy & Goldberg 2014: product of (1 + cos) / 2 over positives divided by the product over
negatives plus 1e-6).

A query reads the vocabulary twice, coarsely then exactly. The coarse pass scores every word
against the 3CosAdd direction from a 4-bit copy of the vectors (per word and block of 64
dimensions a scale and a zero point: 7.3 MB, against the 48 MB float32 copy that the old
one-MatMul graph packed and read whole for every query; a query is bound by the bytes it reads).
The coarse best `rescored(topn)` words (160 for a top 10) are then scored exactly from their
fp16 rows, for both methods, and ranked. Exactness rests on the coarse error being small
beside the gaps between the best words; tests/test_word_vectors.py compares the top 10 with
gensim's on 556 queries and the top 100 on 56 (docs/performance.md, "The word-vector query").

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
BLOCK = 64          # dimensions sharing one 4-bit scale and zero point
CANDIDATES = 160    # coarse best words rescored exactly, at least (PER_ASKED * topn when more)
PER_ASKED = 5
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


def unit_float_rows(ids: str, unit: str) -> list[onnx.NodeProto]:
    """The rows `ids` of the fp16 table as float32 divided by their stored float32 norms (fp16
    rounding left them near length 1), computed as gensim's get_vector(norm=True) computes them."""
    node = helper.make_node
    return [node("Gather", ["embeddings", ids], [f"{ids}_stored"], axis=0),
            node("Cast", [f"{ids}_stored"], [f"{ids}_f32"], to=TensorProto.FLOAT),
            node("Gather", ["norms", ids], [f"{ids}_norms"], axis=0),
            node("Unsqueeze", [f"{ids}_norms", "last"], [f"{ids}_norm_column"]),
            node("Div", [f"{ids}_f32", f"{ids}_norm_column"], [unit])]


def four_bit_columns(embeddings: np.ndarray, block: int = BLOCK) -> list[onnx.TensorProto]:
    """The unit rows in 4 bits, as onnxruntime's MatMulNBits takes its right operand: per word and
    block of `block` dimensions a float32 scale and a 4-bit zero point (the block's min to max
    in 15 steps), two codes a byte, low nibble first."""
    unit = unit_rows(embeddings.astype(np.float32))
    words, dim = unit.shape
    blocks = -(-dim // block)
    padded = np.pad(unit, ((0, 0), (0, blocks * block - dim))).reshape(words, blocks, block)
    low, high = padded.min(axis=2), padded.max(axis=2)
    scale = ((high - low) / 15).astype(np.float32)
    scale[scale == 0] = 1
    zero = np.clip(np.round(-low / scale), 0, 15).astype(np.uint8)
    codes = np.clip(np.round(padded / scale[..., None]) + zero[..., None], 0, 15).astype(np.uint8)
    zero = np.pad(zero, ((0, 0), (0, blocks % 2)))
    const = numpy_helper.from_array
    return [const(codes[..., 0::2] | codes[..., 1::2] << 4, "coarse_codes"),  # [V, blocks, block / 2]
            const(scale.ravel(), "coarse_scale"),
            const((zero[:, 0::2] | zero[:, 1::2] << 4).ravel(), "coarse_zero")]


def rescored(topn: int, candidates: int = CANDIDATES) -> int:
    """How many coarse-best words the graph rescores exactly for a query asking for topn (the
    graph computes the same, capped by the words left once the query words are excluded)."""
    return max(candidates, PER_ASKED * topn)


def build_analogy_graph(embeddings: np.ndarray, candidates: int = CANDIDATES,
                        block: int = BLOCK) -> onnx.ModelProto:
    """`lookup_ids` -> `lookup_vectors` returns the stored unit vectors of any words (pass empty
    query ids and topn 1 for a lookup alone).

    `embeddings` are the fp16 unit rows [V, d] (the initializer other readers expect); only the
    gathered query, candidate and lookup rows are cast to float32 and divided by their stored
    norms, as gensim divides, so the exact scores are gensim's to float32 rounding. 3CosMul's
    candidates are 3CosAdd's coarse best: its score is a product over the same cosines whose
    sum 3CosAdd ranks by, so its best words sit a little deeper in that list, and `candidates`
    leaves room for that. The coarse pass is onnxruntime's MatMulNBits with int8 arithmetic
    (accuracy_level 4): the DequantizeLinear + MatMul form is fused into it only with the
    session option session.qdq_matmulnbits_accuracy_level, and the float path costs twice as
    long."""
    const = numpy_helper.from_array
    initializers = [
        const(embeddings, "embeddings"),
        const(np.linalg.norm(embeddings.astype(np.float32), axis=1), "norms"),
        *four_bit_columns(embeddings, block),
        const(np.array([0], np.int64), "axis0"),
        const(np.array([-1], np.int64), "last"),
        const(np.array([embeddings.shape[0]], np.int64), "vocabulary_size"),
        const(np.array([candidates], np.int64), "min_candidates"),
        const(np.array([PER_ASKED], np.int64), "per_asked"),
        const(np.array([np.iinfo(np.int64).max], np.int64), "int_max"),
        const(np.array(1.0, np.float32), "one_f"),
        const(np.array(0.5, np.float32), "half_f"),
        const(np.array(1e-6, np.float32), "eps"),
        const(np.array([-np.inf], np.float32), "minus_inf"),
    ]
    node = helper.make_node
    nodes = [
        node("Concat", ["positive_ids", "negative_ids"], ["query_ids"], axis=0),
        *unit_float_rows("query_ids", "Q"),                                  # [P+N, d]
        # 3CosAdd direction: signed sum of the query vectors, normalised
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
        # coarse pass: every word against the direction, 4-bit; the query words excluded
        node("MatMulNBits", ["q_unit", "coarse_codes", "coarse_scale", "coarse_zero"], ["coarse"],
             domain="com.microsoft", K=embeddings.shape[1], N=embeddings.shape[0], bits=4,
             block_size=block, accuracy_level=4),                           # [1, V]
        node("Unsqueeze", ["query_ids", "axis0"], ["query_ids_row"]),       # [1, P+N]
        node("Expand", ["minus_inf", "n_query"], ["excluded"]),
        node("Unsqueeze", ["excluded", "axis0"], ["excluded_row"]),
        node("ScatterElements", ["coarse", "query_ids_row", "excluded_row"], ["coarse_masked"], axis=1),
        # how many to rescore: rescored(topn), at most the words left
        node("Mul", ["topn", "per_asked"], ["topn_room"]),
        node("Max", ["topn_room", "min_candidates"], ["wanted"]),
        node("Sub", ["vocabulary_size", "n_query"], ["words_left"]),
        node("Min", ["wanted", "words_left"], ["n_candidates"]),
        node("TopK", ["coarse_masked", "n_candidates"], ["coarse_best", "candidate_ids_row"],
             axis=1, largest=1, sorted=0),
        node("Squeeze", ["candidate_ids_row", "axis0"], ["candidate_ids"]),  # [K]
        # exact rescoring of the candidates from the fp16 rows
        node("Gather", ["embeddings", "candidate_ids"], ["C_stored"], axis=0),
        node("Cast", ["C_stored"], ["C"], to=TensorProto.FLOAT),            # [K, d]
        node("Gather", ["norms", "candidate_ids"], ["C_norms"], axis=0),
        node("Concat", ["Q", "q_unit"], ["rows"], axis=0),                  # [P+N+1, d]
        node("Transpose", ["C"], ["C_T"], perm=[1, 0]),
        node("MatMul", ["rows", "C_T"], ["dots"]),                          # [P+N+1, K]
        node("Div", ["dots", "C_norms"], ["cos"]),                          # as gensim: dot / norm
        node("Slice", ["cos", "n_query", "int_max", "axis0"], ["cosadd_row"]),
        node("Squeeze", ["cosadd_row", "axis0"], ["cosadd_all"]),           # [K]
        # 3CosMul: products of (1 + cos) / 2 over positive and over negative rows
        node("Add", ["cos", "one_f"], ["cos_plus_one"]),
        node("Mul", ["cos_plus_one", "half_f"], ["cos01"]),
        node("Slice", ["cos01", "axis0", "P", "axis0"], ["cos_pos"]),
        node("Slice", ["cos01", "P", "n_query", "axis0"], ["cos_neg"]),
        node("ReduceProd", ["cos_pos", "axis0"], ["prod_pos"], keepdims=0),
        node("ReduceProd", ["cos_neg", "axis0"], ["prod_neg"], keepdims=0),
        node("Add", ["prod_neg", "eps"], ["prod_neg_eps"]),
        node("Div", ["prod_pos", "prod_neg_eps"], ["cosmul_all"]),
        # unit vectors of any words, for the 2-D picture of a query
        *unit_float_rows("lookup_ids", "lookup_vectors"),
    ]
    for method in ("cosadd", "cosmul"):
        nodes += [
            node("TopK", [f"{method}_all", "topn"], [f"{method}_scores", f"{method}_best"],
                 axis=0, largest=1, sorted=1),
            node("Gather", ["candidate_ids", f"{method}_best"], [f"{method}_ids"], axis=0),
        ]
    dtypes = {"int64": TensorProto.INT64, "float32": TensorProto.FLOAT}
    graph = helper.make_graph(
        nodes, "word_vector_query",
        inputs=[helper.make_tensor_value_info(i["name"], dtypes[i["dtype"]], i["shape"]) for i in INPUTS],
        outputs=[helper.make_tensor_value_info(o["name"], dtypes[o["dtype"]], o["shape"]) for o in OUTPUTS],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET),
                                                    helper.make_opsetid("com.microsoft", 1)],
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
