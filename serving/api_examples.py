"""The arguments the API page ("Use via API") shows for each endpoint's required parameters.

Gradio shows a gr.api endpoint's required argument as "..." (a text) or ... (Python's Ellipsis),
so a snippet pasted from the page failed; with these it runs as it is (tests/test_api_examples.py
runs every snippet the page shows). The arguments stay required: only the page's example
changes. An endpoint added without an entry here is caught by that test.
"""
import gradio as gr

from serving import gradio_internals

EXAMPLES = {
    "/output_layer": {"logits": [2.0, 1.0, 0.1]},
    "/forward_backward": {"x": [0.5, -1.0], "weights": [[[0.8, -0.4], [0.1, 0.3]], [[1.2, -0.7]]],
                          "biases": [[0.0, 0.0], [0.05]]},
    "/analogy": {"positive": "king, woman"},   # a parameter with a default shows its default
    "/neighbors": {"words": "computer"},
    "/generate": {"prompt": "the company said it expects"},
    "/next_word": {"prompt": "the company said"},
    "/perplexity": {"text": "The company said its profit rose in the third quarter."},
    "/gates": {"prompt": "the market fell sharply"},
    "/token_scores": {"text": "The company said its profit rose in the third quarter."},
    "/classify": {"text": "A gorgeous, witty, seductive movie."},
}


def show_api_examples(demo: gr.Blocks, examples: dict[str, dict] = EXAMPLES) -> None:
    for block_fn in gradio_internals.event_functions(demo):
        given = examples.get(gradio_internals.endpoint_name(block_fn), {})
        for name, component in zip(gradio_internals.parameter_names(block_fn), block_fn.inputs):
            if name in given:
                gradio_internals.show_example(component, given[name])
