"""The "Language model" tab and its API: /generate, /next_word, /perplexity and /gates."""
import html

import gradio as gr
import pandas as pd

from serving.language_model import MAX_NEW_TOKENS, STRATEGIES, TASK, LanguageModel
from serving.model_choice import choose, served_models
from tokenization.ptb import detokenize

EXAMPLES = ["the company said it expects", "stock prices fell sharply after", "mr. smith is chairman of",
            "the federal reserve", "in the third quarter"]
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "vanilla RNN"}   # in this order: LSTM is the default


def describe(m: dict) -> str:
    t, h = m["training"], m["hyperparameters"]
    return (f"**{CELL_NAMES[m['cell']]}** ({m['name']}, {m['architecture']}). {m['description']} "
            f"Batch {h['batch_size']}, BPTT {h['bptt']} steps, learning rate {h['lr']} divided by "
            f"{h['lr_decay']} per epoch from epoch {h['decay_start']} or when validation stalls; "
            f"{t['epochs']} epochs in {t['seconds'] / 60:.1f} min on {t['machine']}.")


def perplexity_table(manifests: list[dict]) -> list[list]:
    return [[CELL_NAMES[m["cell"]], m["name"], m["metrics"]["test_perplexity"],
             m["metrics"].get("fp32_test_perplexity"), m["architecture"]] for m in manifests]


def gates_html(result: dict) -> str:
    """A heatmap as an HTML table (renders offline): one row per layer and gate, one column per
    prompt token, darker where the gate is more open."""
    tokens = result["tokens"]
    values = [v for layer in result["values"] for token in layer for v in token]
    low, high = min(values), max(values)

    def shade(v: float) -> float:  # the range shown, so small differences between gates are visible
        return 0.1 + 0.9 * (v - low) / (high - low or 1)

    head = "".join(f"<th style='padding:2px 6px'>{html.escape(t)}</th>" for t in tokens)
    rows = []
    for layer, per_token in enumerate(result["values"]):
        for g, gate in enumerate(result["gates"]):
            cells = "".join(
                f"<td style='padding:2px 6px;text-align:center;background:rgba(37,99,235,{shade(v[g]):.2f});"
                f"color:{'white' if shade(v[g]) > 0.6 else 'black'}'>{v[g]:.2f}</td>" for v in per_token)
            rows.append(f"<tr><th style='text-align:left;padding:2px 6px'>layer {layer + 1} {gate}</th>{cells}</tr>")
    return ("<div style='overflow-x:auto'><table style='border-collapse:collapse;font-size:0.85em'>"
            f"<tr><th></th>{head}</tr>{''.join(rows)}</table></div>"
            "<p style='font-size:0.85em'>Mean activation over the units of each gate (0 closed, 1 open) "
            f"while the model reads each token; colour from {low:.2f} (light) to {high:.2f} (dark).</p>")


def build(manifests: dict[str, dict]) -> None:
    models = served_models(manifests, TASK, LanguageModel, lambda m: list(CELL_NAMES).index(m["cell"]))
    if not models:
        gr.Markdown("No language model is installed in weights/ (expected weights/lm-lstm, lm-gru, lm-rnn).")
        return
    names = list(models)
    default = names[0]
    gated = [n for n in names if models[n].gate_names]

    def continuation(prompt, model, max_new_tokens, strategy, temperature, top_k, top_p, seed, show_prompt):
        """Yields (the tokens shown so far: the prompt's when show_prompt, then the new ones;
        whether they start a sentence) after each new token, one growing list."""
        lm = choose(models, model)
        shown = [lm.vocab[i] for i in lm.prompt_ids(prompt)[1:]] if show_prompt else []
        sentence_start = bool(shown) or not prompt.strip()
        for token in lm.generate(prompt, int(max_new_tokens), strategy, float(temperature),
                                 int(top_k), float(top_p), int(seed)):
            shown.append(token)
            yield shown, sentence_start

    def stream(prompt: str, model: str, max_new_tokens: int, strategy: str, temperature: float,
               top_k: int, top_p: float, seed: int):
        """The UI's stream: the text so far (the prompt's tokens first) after each new token."""
        for shown, sentence_start in continuation(prompt, model, max_new_tokens, strategy, temperature,
                                                  top_k, top_p, seed, True):
            yield detokenize(shown, sentence_start)

    def generate(prompt: str, model: str = default, max_new_tokens: int = 50, strategy: str = "greedy",
                 temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, seed: int = 0) -> str:
        """Continuation of the prompt (Penn Treebank style: lower case, N for numbers), up to
        max_new_tokens (at most 200) words; strategy "greedy" or "sample" (temperature, top_k with
        0 = all words, top_p in (0, 1], seed for a reproducible sample). An empty prompt starts a
        new sentence."""
        shown, sentence_start = [], True
        for shown, sentence_start in continuation(prompt, model, max_new_tokens, strategy, temperature,
                                                  top_k, top_p, seed, False):
            pass  # the text once at the end: detokenizing after every token cost a quarter of a step
        return detokenize(shown, sentence_start)

    def next_word(prompt: str, model: str = default, topn: int = 10) -> list[dict]:
        """The topn most likely next words after the prompt, with their probabilities."""
        return choose(models, model).next_word(prompt, int(topn))

    def perplexity(text: str, model: str = default) -> dict:
        """Perplexity of the text under the model (its tokens and a final <eos>), the number of
        tokens scored and how many words were out of the vocabulary (scored as <unk>)."""
        return choose(models, model).perplexity(text)

    def gates(prompt: str, model: str = gated[0] if gated else default) -> dict:
        """Mean gate activations per layer, prompt token and gate (LSTM: forget, input, output;
        GRU: update, reset): {"tokens", "gates", "values": [layer][token][gate]}."""
        return choose(models, model).gates(prompt)

    def next_word_chart(prompt: str, model: str) -> pd.DataFrame:
        rows = next_word(prompt, model, 10)
        return pd.DataFrame({"word": [r["word"] for r in rows], "probability": [r["probability"] for r in rows]})

    def gates_heatmap(prompt: str, model: str) -> str:
        return gates_html(gates(prompt, model))

    def score_all(text: str) -> list[list]:
        return [[n, *(lambda r: [round(r["perplexity"], 1), r["tokens"], r["oov"]])(perplexity(text, n))]
                for n in names]

    with gr.Row():
        with gr.Column(scale=2):
            prompt = gr.Textbox(label="Prompt", value=EXAMPLES[0],
                                info="Empty: the model starts a new sentence.")
            model = gr.Radio(names, value=default, label="Model")
            with gr.Row():
                strategy = gr.Radio(list(STRATEGIES), value="sample", label="Decoding")
                max_new = gr.Slider(1, MAX_NEW_TOKENS, value=40, step=1, label="Max new tokens")
            with gr.Row():
                temperature = gr.Slider(0.05, 2.0, value=0.8, step=0.05, label="Temperature")
                top_k = gr.Slider(0, 200, value=40, step=1, label="Top-k (0: all words)")
                top_p = gr.Slider(0.05, 1.0, value=0.95, step=0.05, label="Top-p")
                seed = gr.Number(value=0, precision=0, label="Seed")
            with gr.Row():
                go = gr.Button("Generate", variant="primary")
                predict = gr.Button("Next word")
                show_gates = gr.Button("Gates", interactive=bool(gated))
            gr.Examples([[e] for e in EXAMPLES], [prompt])
            output = gr.Textbox(label="Text (Penn Treebank style: lower case, N for any number)", lines=6)
            chart = gr.BarPlot(x="word", y="probability", sort="-y", label="Next word: top 10")
            heatmap = gr.HTML(label="Gates over the prompt")
        with gr.Column(scale=1):
            gr.Markdown("All three read one word at a time and carry a hidden state. The vanilla "
                        "RNN rewrites its whole state at every step, so what it read more than a "
                        "few dozen words back fades (its gradients vanish the same way). GRU and "
                        "LSTM gates can leave the state nearly unchanged from step to step, which "
                        "keeps long-range information and lets gradients reach it in training.")
            for m in (models[n].manifest for n in names):
                gr.Markdown(describe(m))
            gr.Markdown("### Test perplexity (full Penn Treebank test set, 82k words)")
            gr.Dataframe(perplexity_table([models[n].manifest for n in names]),
                         headers=["cell", "model", "test perplexity", "fp32", "architecture"],
                         interactive=False)
    with gr.Row():
        text = gr.Textbox(label="Your text: perplexity under each model", scale=3,
                          value="The company said its profit rose in the third quarter.")
        score = gr.Button("Perplexity", scale=1)
    scores = gr.Dataframe(headers=["model", "perplexity", "tokens", "out of vocabulary"], interactive=False)

    controls = [prompt, model, max_new, strategy, temperature, top_k, top_p, seed]
    go.click(stream, controls, output, api_name="generate_page", api_visibility="private")
    predict.click(next_word_chart, [prompt, model], chart, api_name="next_word_page", api_visibility="private")
    show_gates.click(gates_heatmap, [prompt, model], heatmap, api_name="gates_page", api_visibility="private")
    score.click(score_all, text, scores, api_name="perplexity_page", api_visibility="private")
    gr.api(generate, api_name="generate")
    gr.api(next_word, api_name="next_word")
    gr.api(perplexity, api_name="perplexity")
    gr.api(gates, api_name="gates")
