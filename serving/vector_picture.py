"""An SVG picture of a word-vector query on its first two principal components.

For a - b + c = d it draws the quadrilateral b, a, d, c: the parallelogram the theory promises
when the b->a and c->d offsets are the same direction. Words are a-z only (text8 rules), and are
escaped anyway.
"""
from html import escape

import numpy as np

from serving.word_vectors import pca_2d

ROLE_COLOURS = {"positive": "#1f77b4", "negative": "#d62728", "answer": "#2ca02c", "other": "#999999"}
SIZE, MARGIN = 420, 50


def query_svg(words: list[str], roles: list[str], vectors: np.ndarray, corners: list[str]) -> str:
    """`corners`: the words of the parallelogram in drawing order, or [] for points alone."""
    xy = pca_2d(vectors)
    xy = (xy - xy.min(axis=0)) / np.maximum(np.ptp(xy, axis=0), 1e-9)
    xy = MARGIN + xy * (SIZE - 2 * MARGIN)
    xy[:, 1] = SIZE - xy[:, 1]
    where = {w: xy[i] for i, w in enumerate(words)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" '
             f'width="100%" style="max-width:{SIZE}px" role="img" aria-label="PCA of the query words">',
             f'<rect width="{SIZE}" height="{SIZE}" fill="white" stroke="#ddd"/>']
    if corners:
        points = " ".join(f"{where[w][0]:.1f},{where[w][1]:.1f}" for w in corners)
        parts.append(f'<polygon points="{points}" fill="#2ca02c22" stroke="#555" stroke-dasharray="4 3"/>')
    for (x, y), word, role in zip(xy, words, roles):
        colour = ROLE_COLOURS[role]
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>'
                     f'<text x="{x + 7:.1f}" y="{y - 7:.1f}" font-size="13" fill="{colour}" '
                     f'font-family="sans-serif">{escape(word)}</text>')
    parts.append("</svg>")
    return "".join(parts)
