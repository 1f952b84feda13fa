"""Text normalisation shared by training (export/) and serving (serving/).

Each corpus has its own conventions; a model must see user text exactly as its training data
was written, so the rules for each live here once and both sides import them.
"""
