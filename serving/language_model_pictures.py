"""The Language model tab's pictures: the next-word chart, the gate heatmap and the text coloured
token by token. Every piece of typed text goes into the HTML escaped; the chart shows only
vocabulary words, under the names a visitor reads."""
import html

import plotly.graph_objects as go

# what the vocabulary's markers stand for on the page
SHOWN_AS = {"<eos>": "(end of sentence)", "<unk>": "(a word it does not know)"}
# GLTR's colours (Gehrmann et al., 2019): the token among the model's top 10, 100, 1,000 guesses or beyond
RANK_COLOURS = [(10, "#b7efc5", "top 10"), (100, "#fde68a", "top 100"), (1000, "#fecaca", "top 1,000"),
                (None, "#e9d5ff", "further down")]
# one tooltip for the whole view, kept inside the window: a token's data-tip as plain text
TOOLTIP_JS = """
const tip = document.createElement('div');
tip.setAttribute('role', 'tooltip');
tip.className = 'token-tip';
tip.style.cssText = 'position:fixed;z-index:1000;display:none;max-width:min(24em,92vw);padding:6px 9px;' +
  'border-radius:6px;background:#111827;color:#f9fafb;font-size:13px;line-height:1.4;white-space:pre-line;' +
  'pointer-events:none;box-shadow:0 2px 8px rgba(0,0,0,.3)';
document.body.appendChild(tip);
const hide = () => { tip.style.display = 'none'; };
const show = (event) => {
  const token = event.target.closest('[data-tip]');
  if (!token || !element.contains(token)) { hide(); return; }
  tip.textContent = token.dataset.tip;
  tip.style.display = 'block';
  const box = token.getBoundingClientRect();
  const left = Math.max(8, Math.min(box.left, window.innerWidth - tip.offsetWidth - 8));
  const below = box.bottom + 6 + tip.offsetHeight < window.innerHeight;
  tip.style.left = left + 'px';
  tip.style.top = (below ? box.bottom + 6 : box.top - 6 - tip.offsetHeight) + 'px';
};
element.addEventListener('mouseover', show);
element.addEventListener('focusin', show);
element.addEventListener('click', show);
element.addEventListener('mouseleave', hide);
element.addEventListener('focusout', hide);
window.addEventListener('scroll', hide, true);
"""
TOKENS_CSS = """
.scored { line-height: 2.1; font-size: 1.05em; }
.tok { padding: 2px 3px; border-radius: 4px; cursor: help; }
.tok:hover, .tok:focus { outline: 2px solid #1f2937; }
.unknown { text-decoration: underline dotted; }
.legend { font-size: 0.9em; margin-top: 6px; }
.legend span { padding: 1px 6px; border-radius: 4px; margin-right: 4px; white-space: nowrap; }
"""


def shown(word: str) -> str:
    """A vocabulary word as the page writes it: the markers in words, PTB's escapes undone."""
    return SHOWN_AS.get(word) or word.replace("\\/", "/").replace("\\*", "*")


def percent(p: float) -> str:
    """Every probability on the tab, one way: a percentage to 3 significant digits."""
    return "100%" if p >= 0.9995 else f"{100 * p:#.3g}%"


def after_words(prompt: str, last: int = 4) -> str:
    """Where the prediction stands: the prompt's last words as typed (escaped: plotly reads tags
    in a title), so that a chart left from an earlier prompt says so."""
    words = prompt.split()
    if not words:
        return "at the start of a sentence"
    return f"after “{'… ' if len(words) > last else ''}{html.escape(' '.join(words[-last:]))}”"


def next_word_figure(rows: list[dict], model_label: str, prompt: str) -> go.Figure:
    """Horizontal bars, the likeliest word on top, so that the words read on a phone; the
    probability axis starts at 0, so a bar's length is its probability."""
    words = [shown(r["word"]) for r in rows][::-1]
    probabilities = [r["probability"] for r in rows][::-1]
    figure = go.Figure(go.Bar(x=probabilities, y=words, orientation="h", marker_color="#2563eb",
                              text=[percent(p) for p in probabilities], textposition="outside",
                              cliponaxis=False, hovertemplate="%{y}: %{text}<extra></extra>"))
    figure.update_layout(
        title=dict(text=f"{model_label}: the {len(rows)} likeliest next words<br><span style='font-size:12px'>{after_words(prompt)}</span>",
                   x=0, font_size=14),
        xaxis=dict(title="probability", range=[0, max(probabilities, default=1) * 1.25], tickformat=".0%",
                   rangemode="tozero", fixedrange=True),
        yaxis=dict(fixedrange=True, automargin=True), height=380, margin=dict(l=10, r=20, t=60, b=40),
        plot_bgcolor="white")
    figure.update_xaxes(showgrid=True, gridcolor="#e5e7eb", zeroline=True, zerolinecolor="#6b7280")
    return figure


def gates_html(result: dict, model_label: str) -> str:
    """A heatmap as an HTML table (renders offline): one row per layer and gate, one column per
    prompt token, darker where the gate is more open."""
    tokens = result["tokens"]
    values = [v for layer in result["values"] for token in layer for v in token]
    low, high = min(values), max(values)

    def shade(v: float) -> float:  # the range shown, so small differences between gates are visible
        return 0.1 + 0.9 * (v - low) / (high - low or 1)

    head = "".join(f"<th style='padding:2px 6px'>{html.escape(shown(t))}</th>" for t in tokens)
    rows = []
    for layer, per_token in enumerate(result["values"]):   # a layer's name on a row of its own: narrow on a phone
        rows.append(f"<tr><th colspan='{len(tokens) + 1}' style='text-align:left;padding:4px 6px 0'>"
                    f"layer {layer + 1}</th></tr>")
        for g, gate in enumerate(result["gates"]):
            cells = "".join(
                f"<td style='padding:2px 6px;text-align:center;background:rgba(37,99,235,{shade(v[g]):.2f});"
                f"color:{'white' if shade(v[g]) > 0.6 else 'black'}'>{v[g]:.2f}</td>" for v in per_token)
            rows.append(f"<tr><th style='text-align:left;padding:2px 6px;font-weight:normal'>{gate}</th>{cells}</tr>")
    return (f"<p style='margin:0 0 4px'><b>{html.escape(model_label)}: how open each gate is while it reads "
            "each word</b></p><div style='overflow-x:auto'><table style='border-collapse:collapse;"
            f"font-size:0.85em'><tr><th></th>{head}</tr>{''.join(rows)}</table></div>"
            "<p style='font-size:0.85em'>Each gate's mean over its units: 0 closed, 1 open; colour from "
            f"{low:.2f} (light) to {high:.2f} (dark).</p>")


def rank_colour(rank: int) -> str:
    return next(colour for limit, colour, _ in RANK_COLOURS if limit is None or rank <= limit)


def token_tip(score: dict) -> str:
    """A token's tooltip, plain text."""
    word = shown(score["token"])
    known = "" if score["in_vocabulary"] else "\nNot among the words it knows: scored as an unknown word."
    expected = "".join(f"\n• {shown(a['word'])} {percent(a['probability'])}" for a in score["alternatives"])
    return (f"{word}: probability {percent(score['probability'])}, rank {score['rank']:,}, "
            f"−ln p = {score['cross_entropy']:.2f}{known}\nIts likeliest words there:{expected}")


def scored_text_html(result: dict, vocabulary_size: int) -> str:
    """The visitor's text, each token coloured by the rank the model gave it, a tooltip on each."""
    spans = []
    for score in result["tokens"]:
        classes = "tok" if score["in_vocabulary"] else "tok unknown"
        spans.append(f"<span class='{classes}' tabindex='0' style='background:{rank_colour(score['rank'])}' "
                     f"data-tip='{html.escape(token_tip(score), quote=True)}'>"
                     f"{html.escape(shown(score['token']))}</span>")
    legend = "".join(f"<span style='background:{colour}'>{name}</span>" for _, colour, name in RANK_COLOURS)
    cross_entropies = [s["cross_entropy"] for s in result["tokens"]]
    mean = sum(cross_entropies) / len(cross_entropies)
    return (f"<div class='scored'>{' '.join(spans)}</div>"
            f"<div class='legend'>Rank of each word among the model's {vocabulary_size:,} guesses: {legend}"
            " Hover over or tap a word for its probability and what the model expected there.</div>"
            f"<p>Perplexity <b>{result['perplexity']:.1f}</b> = exp of the mean of these "
            f"{len(cross_entropies)} per-token cross-entropies −ln p (mean {mean:.2f}).</p>")
