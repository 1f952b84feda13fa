"""The tokenisation of the sentence-classification sets (SST, MR), after Kim (2014)'s clean_str.

SST is already tokenised Penn-Treebank style ("wo n't", "the film 's"), MR is lower-cased but
keeps clitics attached ("film's"). Kim's rules bring both, and a user's raw sentence, to one form:
letters and digits kept, clitics split off, only ( ) , ! ? kept as punctuation, everything else a
separator. Each token keeps its character span in the input so that the classifier's evidence
can be shown on the words the user typed.
"""
import re

from tokenization.wiki import fold_accents

# "-lrb-"/"-rrb-" are SST's escaped brackets; a word is letters, digits and inner apostrophes.
_PIECES = re.compile(r"-lrb-|-rrb-|[(),!?]|(?:[^\W_]|['`])+", re.IGNORECASE)
_BRACKETS = {"-lrb-": "(", "-rrb-": ")"}
_CLITIC = re.compile(r"n't|'(?:s|ve|re|d|ll|m)", re.IGNORECASE)
_WORD = re.compile(r"(['`]*)(.*?)(n't|'(?:s|ve|re|d|ll|m)|['`]*)", re.IGNORECASE | re.DOTALL)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _split_word(word: str, start: int) -> list[tuple[str, int, int]]:
    """'don't' -> 'do' "n't"; "``great''" -> '``' 'great' "''"; a lone clitic or quote stays."""
    if "'" not in word and "`" not in word:  # most words: nothing to split (a 5,000-token review)
        return [(word, start, start + len(word))]
    if _CLITIC.fullmatch(word) or not word.strip("'`"):
        return [(word, start, start + len(word))]
    lead, core, tail = _WORD.fullmatch(word).groups()
    parts, pos = [], start
    for piece in (lead, core, tail):
        if piece:
            parts.append((piece, pos, pos + len(piece)))
        pos += len(piece)
    return parts


def sst_tokens_with_spans(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) for each token; text[start:end] is what the user typed for it."""
    text = text.translate(_QUOTES)  # same length, so spans stay valid for the original text
    tokens = []
    for match in _PIECES.finditer(text):
        piece = match.group()
        if piece.lower() in _BRACKETS:
            tokens.append((_BRACKETS[piece.lower()], match.start(), match.end()))
            continue
        for raw, start, end in _split_word(piece, match.start()):
            token = (raw if raw.isascii() else fold_accents(raw)).lower()  # ASCII has no accents
            if token:
                tokens.append((token, start, end))
    return tokens


def sst_tokens(text: str) -> list[str]:
    return [token for token, _, _ in sst_tokens_with_spans(text)]
