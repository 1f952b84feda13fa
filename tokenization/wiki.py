"""The text8 convention of the Wikipedia corpora (Mahoney's wikifil.pl plus accent folding).

The word vectors were trained on text normalised this way, so a user's query must go through the
same rules: 'Café' -> 'cafe', '1990' -> 'one nine nine zero', punctuation -> separator.
"""
import re
import unicodedata

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_NON_LETTERS = re.compile(r"[^a-z]+")


def fold_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def text8_tokens(text: str) -> list[str]:
    """Words of `text` as they appear in enwiki2019-t8."""
    text = fold_accents(text).lower()
    text = "".join(f" {DIGIT_WORDS[int(ch)]} " if "0" <= ch <= "9" else ch for ch in text)
    return _NON_LETTERS.sub(" ", text).split()
