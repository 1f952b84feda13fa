"""The conventions of Mikolov's Penn Treebank (the language models' training text).

Lower case; every number is `N` (and so is `%`: "5 %" is "N N"); clitics are separate tokens as
the Treebank splits them ("do n't", "ca n't", "it 's", "investors '"); "/" and "*" are
backslash-escaped; all other punctuation was removed, except where it is part of a word the
vocabulary knows ("mr.", "u.s.", "at&t", "$", "#", "'80s"). A model sees user text only after these
rules, and generated tokens go back through `detokenize` to read as plain text.
"""
import re
from collections.abc import Container

SPECIAL = ("N", "<unk>", "<eos>")
_CLITICS = [(re.compile(r"(\w)(n't)\b"), r"\1 \2"),
            (re.compile(r"(\w)('(?:s|re|ve|m|ll|d))\b"), r"\1 \2"),
            (re.compile(r"(\w)cannot\b"), r"\1can not"),
            (re.compile(r"\bcannot\b"), "can not"),
            (re.compile(r"(\ws)(')(?=\s|$)"), r"\1 \2")]
_CURRENCY = re.compile(r"^(us\$|c\$|a\$|hk\$|m\$|\$|#)(?=[\d.])")
_NUMBER = re.compile(r"^[+-]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:/\d+)?$")
_EDGE_PUNCT = ".,;:!?\"'`()[]{}<>…“”‘’«»-–—"


def _fold_quotes(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')


def _word_tokens(chunk: str, vocab: Container[str]) -> list[str]:
    """One whitespace-free chunk -> its PTB tokens (possibly none)."""
    if chunk in SPECIAL:
        return [chunk]
    word = chunk.lower().replace("\\/", "/").replace("\\*", "*")
    if _escape(word) in vocab:
        return [_escape(word)]
    core = word.strip(_EDGE_PUNCT)
    if core + "." in vocab and word.lstrip(_EDGE_PUNCT).startswith(core + "."):
        core += "."  # a known abbreviation keeps its period; a sentence's full stop does not
    word = core
    if not word:
        return []
    currency = _CURRENCY.match(word)
    if currency:
        return [currency.group(1)] + _word_tokens(word[currency.end():], vocab)
    if word.endswith("%"):
        return _word_tokens(word[:-1], vocab) + ["N"]
    return ["N" if _NUMBER.match(word) else _escape(word)]


def _escape(word: str) -> str:
    return word.replace("/", "\\/").replace("*", "\\*")


def ptb_tokens(text: str, vocab: Container[str] = ()) -> list[str]:
    """User text -> PTB tokens. With the model's vocabulary, abbreviations keep their period."""
    text = _fold_quotes(text)
    for pattern, replacement in _CLITICS:
        text = pattern.sub(replacement, text)
    return [t for chunk in text.split() for t in _word_tokens(chunk, vocab)]


CLITICS = ("n't", "'s", "'re", "'ve", "'m", "'ll", "'d", "'")


def detokenize(tokens: list[str], sentence_start: bool = True) -> str:
    """PTB tokens -> readable text: clitics attached, `<eos>` as a full stop and line break,
    sentences capitalised (the first one too when sentence_start). `N` stays `N`: the corpus
    never says which number it was."""
    pieces, capital = [], sentence_start
    for token in tokens:
        if token == "<eos>":
            if pieces and not pieces[-1].endswith("\n"):  # an empty sentence shows as nothing
                pieces.append(".\n")
            capital = True
            continue
        word = token.replace("\\/", "/").replace("\\*", "*")
        if capital:
            word, capital = word[:1].upper() + word[1:], False
        glue = "" if not pieces or pieces[-1].endswith("\n") or token in CLITICS else " "
        pieces.append(glue + word)
    return "".join(pieces)
