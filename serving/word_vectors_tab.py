"""The "Word vectors" tab and its API: /analogy and /neighbors, ours beside the gensim baseline."""
import gradio as gr

from serving.errors import InputError
from serving.model_choice import choose, served_models
from serving.vector_picture import query_svg
from serving.word_vectors import METHODS, MAX_TOPN, answer, load_word_vectors, parse_words

TASK = "word-vectors"
EXAMPLES = [["king, woman", "man"], ["paris, germany", "france"], ["walking, swam", "walked"],
            ["bigger, cold", "big"], ["einstein, painter", "scientist"]]


def quality_table(manifests: list[dict]) -> list[list]:
    rows = []
    for m in manifests:
        metrics = m.get("metrics", {})
        sections = metrics.get("analogy_sections", {})
        semantic = [s for name, s in sections.items() if not name.startswith("gram")]
        syntactic = [s for name, s in sections.items() if name.startswith("gram")]
        pooled = lambda ss: round(100 * sum(s["accuracy"] * s["questions"] for s in ss)
                                  / max(1, sum(s["questions"] for s in ss)), 1)
        rows.append([m["name"], round(100 * metrics.get("analogy_accuracy", 0), 1), pooled(semantic),
                     pooled(syntactic), metrics.get("wordsim353_spearman"),
                     m["training"].get("seconds")])
    return rows


def section_table(manifests: list[dict]) -> list[list]:
    """Accuracy (%) per questions-words section, one column per model."""
    sections = manifests[0].get("metrics", {}).get("analogy_sections", {})
    return [[name] + [round(100 * m["metrics"]["analogy_sections"].get(name, {}).get("accuracy", 0), 1)
                      for m in manifests] for name in sections]


def describe(m: dict) -> str:
    t, h = m["training"], m["hyperparameters"]
    return (f"**{m['name']}** — {m['architecture']}. {m.get('description', '')} "
            f"Trained on {t['corpus']} ({t['tokens'] / 1e6:.0f}M tokens), {h.get('vector_size', h.get('dim'))}-d, "
            f"{h['epochs']} epochs, window {h['window']}, in {t['seconds'] / 60:.0f} min on {t['machine']}.")


def build(manifests: dict[str, dict]) -> None:
    # our ONNX models first: the first one is the default and the one pictured
    models = served_models(manifests, TASK, load_word_vectors, lambda m: m["format"] != "onnx-analogy")
    if not models:
        gr.Markdown("No word-vector model is installed in weights/.")
        return
    names = list(models)
    default = names[0]
    ours = [manifests[n] for n in names]

    def run(model: str, positive: list[str], negative: list[str], topn: int, method: str):
        return answer(choose(models, model), positive, negative, int(topn), method)

    def analogy(positive: str, negative: str = "", topn: int = 10, model: str = default,
                method: str = "3CosAdd") -> list[dict]:
        """Words closest to sum(positive) - sum(negative), best first (query words excluded).
        king - man + woman: positive "king, woman", negative "man"."""
        pos, neg = parse_words(positive, "positive"), parse_words(negative, "negative")
        if not neg:
            raise InputError("An analogy needs at least one negative word (king - man + woman: "
                             "positive 'king, woman', negative 'man'); for one word use /neighbors.")
        return run(model, pos, neg, topn, method)

    def neighbors(words: str, topn: int = 10, model: str = default) -> list[dict]:
        """Nearest words by cosine to one word, or to the sum of several."""
        return run(model, parse_words(words), [], topn, "3CosAdd")

    def show(positive: str, negative: str, topn: int, method: str) -> list:
        pos, neg = parse_words(positive, "positive"), parse_words(negative, "negative")
        tables = {}
        for name in names:
            try:
                tables[name] = [[r["word"], r["score"]] for r in run(name, pos, neg, topn, method)]
            except InputError as err:
                if name == default:
                    raise
                tables[name] = [[f"({err})", None]]
        return [tables[n] for n in names] + [picture(pos, neg, tables[default])]

    def picture(pos, neg, rows):
        model = models[default]
        answers = [w for w, _ in rows[:5]]
        words = pos + neg + answers
        roles = ["positive"] * len(pos) + ["negative"] * len(neg) + ["answer"] + ["other"] * (len(answers) - 1)
        corners = [neg[0], pos[0], answers[0], pos[1]] if len(pos) == 2 and len(neg) == 1 else []
        return query_svg(words, roles, model.unit_vectors(words), corners)

    with gr.Row():
        with gr.Column(scale=2):
            positive = gr.Textbox(label="Positive words", value="king, woman")
            negative = gr.Textbox(label="Negative words", value="man",
                                  info="king - man + woman: positive 'king, woman', negative 'man'. "
                                       "Leave empty for the neighbours of the positive words.")
            with gr.Row():
                topn = gr.Slider(1, MAX_TOPN, value=10, step=1, label="Top k")
                method = gr.Radio(list(METHODS), value="3CosAdd", label="Method",
                                  info="3CosAdd: cosine to a - b + c (gensim most_similar). "
                                       "3CosMul: Levy & Goldberg's multiplicative form.")
            go = gr.Button("Ask", variant="primary")
            gr.Examples(EXAMPLES, [positive, negative])
        with gr.Column(scale=1):
            gr.Markdown("Word2vec learns a vector per word by predicting a word's neighbours "
                        "(skip-gram) or a word from its neighbours (CBOW), with negative sampling or "
                        "a hierarchical softmax instead of a full softmax. Offsets between vectors "
                        "then carry relations: king - man + woman lands near queen.")
            for m in ours:
                gr.Markdown(describe(m))
    with gr.Row():
        tables = [gr.Dataframe(headers=["word", "score"], label=n,
                               interactive=False) for n in names]
        svg = gr.HTML(label="PCA of the query (our model)")
    gr.Markdown("### Measured quality (questions-words, top 30k words; WordSim-353 Spearman)")
    gr.Dataframe(quality_table(ours), headers=["model", "analogy %", "semantic %", "syntactic %",
                                               "WordSim-353", "training s"], interactive=False)
    with gr.Accordion("Analogy accuracy by section (%)", open=False):
        gr.Dataframe(section_table(ours), headers=["section"] + [m["name"] for m in ours],
                     interactive=False)

    go.click(show, [positive, negative, topn, method], tables + [svg], api_name="word_vectors_page",
             api_visibility="private")
    gr.api(analogy, api_name="analogy")
    gr.api(neighbors, api_name="neighbors")
