"""The "Word vectors" tab and its API: /analogy and /neighbors, ours beside the gensim baseline."""
import re

import gradio as gr
import pandas as pd

from serving import page_link
from serving.errors import InputError
from serving.example_buttons import answer_examples, example_buttons
from serving.inline_errors import inline, status_box
from serving.model_choice import choose, served_models
from serving.plain_words import machine_in_words, percent, three_decimals
from serving.vector_picture import analogy_figure
from serving.word_vectors import METHODS, MAX_TOPN, answer, load_word_vectors, parse_words

TASK = "word-vectors"
TAB = "Word vectors"
# positive, negative, what a visitor expects first (the label shows the first entry: the word, or
# what the words are), and the shipped models' known misses (checked
# against the shipped weights by tests/test_tab_examples.py)
EXAMPLES = [("king, woman", "man", ["queen"], {}),
            ("paris, germany", "france", ["berlin"], {}),
            ("walking, swam", "walked", ["swimming"],
             {"gensim-word2vec": ("swim", "its 4th answer is swimming")}),
            ("bigger, cold", "big", ["colder"],
             {"gensim-word2vec": ("warmer", "cold and warm are used in the same places, so their vectors are close")}),
            ("einstein, painter", "scientist", ["a painter", "picasso", "magritte", "cezanne", "matisse", "dali"],
             {"gensim-word2vec": ("cubist", "a style of painting, ahead of the painters magritte and cezanne")}),
            ("computer", "", ["computers"], {})]
DEFAULTS = ["king, woman", "man", 10, "3CosAdd"]
SCORE_NAMES = {"3CosAdd": "cosine", "3CosMul": "3CosMul score"}
URL_KEYS = page_link.keys("wv", ["positive", "negative", "topn", "method"])
# words that mark a typed phrase or name ("the united states of america"): the vocabulary holds
# single words, and these, the most frequent of all, pull a summed query towards themselves
FUNCTION_WORDS = {"the", "of", "and", "a", "an", "in", "to", "for", "on", "at", "by", "with", "from"}
BACKGROUND = ("Word2vec learns a vector of 300 numbers for each word by predicting the words around it. "
              "Words used in the same places get similar vectors, and offsets between vectors carry "
              "relations: king − man + woman lands near queen. The answer is the word whose vector points "
              "most nearly the same way as the sum (its cosine, from −1 to 1). English only: the models "
              "learned from English Wikipedia, written in lower case with numbers spelled out.")


def example_label(positive: str, negative: str, expected: list[str], misses: dict) -> str:
    words = positive.split(", ")
    query = f"{words[0]} − {negative} + {words[1]}" if negative else f"neighbours of {positive}"
    known = "".join(f" ({name.split('-')[0]}: {said})" for name, (said, _) in misses.items())
    return f"{query} → {expected[0]}{known}"


def known_misses() -> str:
    """Why the examples' known misses happen, under the examples."""
    return "Known misses: " + "; ".join(
        f"{name} answers {positive.split(', ')[0]} − {negative} + {positive.split(', ')[1]} with {said}: {why}"
        for positive, negative, _, misses in EXAMPLES for name, (said, why) in misses.items()) + "."


def quality_table(manifests: list[dict]) -> list[list]:
    rows = []
    for m in manifests:
        metrics = m.get("metrics", {})
        pooled = lambda ss: percent(sum(s["accuracy"] * s["questions"] for s in ss) / max(1, sum(s["questions"] for s in ss)))
        # semantic and syntactic (gram) sections, each pooled over its questions
        split = lambda sections: [pooled([s for name, s in sections.items() if not name.startswith("gram")]),
                                  pooled([s for name, s in sections.items() if name.startswith("gram")])]
        whole = metrics.get("analogy_all_words", {})  # the answer searched among all shipped words
        rows.append([m["name"], percent(metrics.get("analogy_accuracy", 0)), *split(metrics.get("analogy_sections", {})),
                     three_decimals(metrics.get('wordsim353_spearman', 0)),
                     three_decimals(metrics.get("simlex999_spearman", 0)),
                     percent(whole.get("accuracy", 0)), *split(whole.get("sections", {})),
                     f"{m['training'].get('seconds', 0) / 60:.0f} min"])
    return rows


def one_row_per_measure(rows: list[list], headers: list[str]) -> list[list]:
    """The table turned: a row per measure, a column per model (its first cell), so that it
    fits a phone however many measures there are."""
    return [[header] + [row[i] for row in rows] for i, header in enumerate(headers) if i > 0]


def section_table(manifests: list[dict]) -> list[list]:
    """Accuracy (%) per questions-words section, one column per model."""
    sections = manifests[0].get("metrics", {}).get("analogy_sections", {})
    return [[name] + [percent(m["metrics"]["analogy_sections"].get(name, {}).get("accuracy", 0))
                      for m in manifests] for name in sections]


def describe(m: dict) -> str:
    """One sentence a visitor understands: what the model is and learned from, and how good."""
    what = m.get("description", m["architecture"]).split(";")[0].rstrip(".")
    metrics = m.get("metrics", {})
    return (f"**{m['name']}**: {what}. It gets {percent(metrics.get('analogy_accuracy', 0))}% of the "
            f"questions-words analogies right and agrees with people's similarity ratings at "
            f"{three_decimals(metrics.get('wordsim353_spearman', 0))} (WordSim-353, 1 is perfect).")


def training_details(m: dict) -> str:
    """How the model was trained, in words, for the collapsed details."""
    t, h = m["training"], m["hyperparameters"]
    method = "predicting each word's neighbours (skip-gram)" if h.get("sg", 1) else "predicting a word from its neighbours (CBOW)"
    softmax = (f"each real neighbour scored against {h['negative']} random words (negative sampling)"
               if h.get("negative") else "a hierarchical softmax over the vocabulary")
    return (f"**{m['name']}** learned by {method}, with {softmax}: {h['vector_size']} numbers per word, "
            f"{h['window']} words of context on each side, {h['epochs']} passes over {t['tokens'] / 1e6:.0f} "
            f"million words. Words seen fewer than {h['min_count']} times were dropped "
            f"({t['vocabulary_min_count']:,} words kept; the {h['max_vocab']:,} most frequent are served here). "
            f"Training took {t['seconds'] / 60:.0f} minutes on {machine_in_words(t['machine'])}.")


def check_phrases(text: str, name: str) -> None:
    """A page visitor types a name as they would say it; the API keeps summing what it is sent."""
    for group in re.split(r",", text or ""):
        words = group.lower().split()
        if len(words) > 1 and FUNCTION_WORDS & set(words):
            phrase = group.strip() if len(group.strip()) <= 60 else group.strip()[:60] + "..."
            raise InputError(
                f"'{phrase}' reads as a phrase or a name of several words, but the vocabulary holds "
                "single words only (lower case, no phrases), and a query adds up the vectors of its words: "
                f"'{sorted(FUNCTION_WORDS & set(words))[0]}', one of the most frequent words, would pull the "
                f"answer towards itself. Try one word for it (e.g. 'usa' or 'america'), or separate the "
                f"{name} words you mean to add with commas.")


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
        """Words closest to the sum of the positive words' vectors minus the negative ones', best
        first (the query words excluded), as gensim's most_similar. king - man + woman: positive
        "king, woman", negative "man"; no negative words: the neighbours of the positive words.

        Args:
            positive: words to add, separated by commas or spaces (lower case, English Wikipedia's
                vocabulary; numbers are not words), e.g. "king, woman"
            negative: words to subtract, e.g. "man"; may be empty
            topn: how many words to return, 1 to 100
            model: "word2vec" (ours) or "gensim-word2vec" (the baseline)
            method: "3CosAdd" (cosine to the sum) or "3CosMul" (Levy and Goldberg's multiplicative form)
        """
        return run(model, parse_words(positive, "positive"), parse_words(negative, "negative"), topn, method)

    def neighbors(words: str, topn: int = 10, model: str = default) -> list[dict]:
        """The words whose vectors are closest by cosine to one word's, or to the sum of several.

        Args:
            words: one word, or several separated by commas or spaces (summed), e.g. "computer"
            topn: how many words to return, 1 to 100
            model: "word2vec" (ours) or "gensim-word2vec" (the baseline)
        """
        return run(model, parse_words(words), [], topn, "3CosAdd")

    def show(positive: str, negative: str, topn: int, method: str) -> list:
        check_phrases(positive, "positive")
        check_phrases(negative, "negative")
        pos, neg = parse_words(positive, "positive"), parse_words(negative, "negative")
        tables = {}
        for name in names:
            try:
                tables[name] = pd.DataFrame([[r["word"], three_decimals(r["score"])] for r in run(name, pos, neg, topn, method)],
                                            columns=["word", SCORE_NAMES[method]])
            except InputError as err:
                if name == default:
                    raise
                tables[name] = pd.DataFrame([[f"({err})", ""]], columns=["word", SCORE_NAMES[method]])
        return [tables[n] for n in names] + list(picture(pos, neg, tables[default]))

    def picture(pos, neg, rows):
        """The analogy's plane, or no picture (not an empty frame) and why for any other query."""
        if len(pos) != 2 or len(neg) != 1:
            return gr.update(value=None, visible=False), (
                "A picture is drawn for an analogy of three words, a − b + c (two positive words, one "
                "negative): the plane of its two offsets.")
        answers = list(rows["word"][:3])
        (a, c), (b,) = pos, neg
        figure, caption = analogy_figure(a, b, c, answers, models[default].unit_vectors([a, b, c] + answers))
        return gr.update(value=figure, visible=True), caption

    shown = inline(show, len(names) + 2, hide=(len(names),))   # an error hides the picture too
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            with gr.Row():
                # max_lines: a long paste scrolls inside the box instead of growing it to 20 lines
                positive = gr.Textbox(label="Positive words", value=DEFAULTS[0], min_width=150, max_lines=3,
                                      info="added; separate words with commas")
                negative = gr.Textbox(label="Negative words", value=DEFAULTS[1], min_width=150, max_lines=3,
                                      info="subtracted; empty: neighbours")
            with gr.Row():
                topn = gr.Slider(1, MAX_TOPN, value=DEFAULTS[2], step=1, label="Top k", min_width=150)
                method = gr.Radio(list(METHODS), value=DEFAULTS[3], label="Method", min_width=200,
                                  info="3CosAdd: cosine to a − b + c (gensim most_similar); 3CosMul: "
                                       "Levy & Goldberg's multiplicative form")
            go = gr.Button("Ask", variant="primary", elem_id="wv-ask")
            status = status_box()
            with gr.Row():
                tables = [gr.Dataframe(headers=["word", "cosine"], label=f"{n}: nearest words", interactive=False,
                                       wrap=True, min_width=280, column_widths=["65%", "35%"],
                                       elem_id=f"answers-{n}") for n in names]
            gr.Markdown(known_misses())
        with gr.Column(scale=2, min_width=320):
            examples = example_buttons("Examples (press one)", [(example_label(*e), list(e[:2])) for e in EXAMPLES])
            plot = gr.Plot(label=f"The analogy in its own plane ({default})", elem_id="analogy-picture")
            caption = gr.Markdown(elem_id="analogy-caption")
    gr.Markdown(BACKGROUND)
    for m in ours:
        gr.Markdown(describe(m))
    gr.Markdown("### Measured quality (questions-words among the 30,000 most frequent words, then "
                "among all 40,000; WordSim-353 and SimLex-999 Spearman)")
    measures = ["model", "analogy %", "semantic %", "syntactic %", "WordSim-353", "SimLex-999",
                "analogy %, all words", "semantic %, all", "syntactic %, all", "training"]
    gr.Dataframe(one_row_per_measure(quality_table(ours), measures), headers=["measure"] + names,
                 interactive=False, wrap=True, column_widths=["40%"] + [f"{60 // len(names)}%"] * len(names))
    with gr.Accordion("Analogy accuracy by section (%)", open=False):
        gr.Dataframe(section_table(ours), headers=["section"] + [m["name"] for m in ours],
                     interactive=False, wrap=True)
    with gr.Accordion("How the models were trained", open=False):
        for m in ours:
            gr.Markdown(training_details(m))

    inputs, outputs = [positive, negative, topn, method], tables + [plot, caption, status]
    gr.on([go.click, positive.submit, negative.submit], shown, inputs, outputs, js=page_link.write_url(TAB, URL_KEYS),
          api_name="word_vectors_page", api_visibility="private")
    answer_examples(examples, shown, inputs, outputs, then=page_link.write_url(TAB, URL_KEYS), scroll_to="wv-ask",
                    api_visibility="private")
    page_link.answer_on_load(TAB, URL_KEYS, DEFAULTS, shown, inputs, outputs)
    gr.api(analogy, api_name="analogy")
    gr.api(neighbors, api_name="neighbors")
