"""PTB tokenization: the corpus itself survives it, and user text comes out as the corpus writes it."""
import pytest

from tests.conftest import DATA_DIR, needs_data
from tokenization.ptb import detokenize, ptb_tokens

VOCAB = {"mr.", "u.s.", "corp.", "at&t", "$", "'s", "n't", "'", "N", "<unk>", "mgm\\/ua"}


@needs_data("ptb/ptb.train.txt")
def test_every_train_line_round_trips():
    lines = (DATA_DIR / "ptb" / "ptb.train.txt").read_text().splitlines()
    vocab = {w for line in lines for w in line.split()}
    changed = [line for line in lines if ptb_tokens(line, vocab) != line.split()]
    assert not changed, changed[:3]


@pytest.mark.parametrize("text, tokens", [
    ("Mr. Smith didn't buy 1,000 shares of AT&T for $5.5 billion.",
     "mr. smith did n't buy N shares of at&t for $ N billion"),
    ("The U.S. investors' funds can't grow 5%!", "the u.s. investors ' funds ca n't grow N N"),
    ("It's “quoted” (twice) -- then left...", "it 's quoted twice then left"),
    ("MGM/UA rose 3 1/2 points", "mgm\\/ua rose N N points"),
    ("", ""),
])
def test_user_text_follows_ptb_conventions(text, tokens):
    assert ptb_tokens(text, VOCAB) == tokens.split()


def test_a_sentence_full_stop_is_dropped_but_a_known_abbreviation_keeps_its_period():
    assert ptb_tokens("He works at Acme Corp. in the U.S.", VOCAB) == \
        ["he", "works", "at", "acme", "corp.", "in", "the", "u.s."]
    assert ptb_tokens("It ended.", VOCAB) == ["it", "ended"]


def test_detokenize_reads_as_plain_text():
    tokens = "the company said <eos> it 's N N higher than mgm\\/ua <eos>".split()
    assert detokenize(tokens) == "The company said.\nIt's N N higher than mgm/ua.\n"
    assert detokenize(["'s", "profit", "rose"], sentence_start=False) == "'s profit rose"
    assert detokenize(["<eos>", "it", "fell", "<eos>", "<eos>", "N"]) == "It fell.\nN"
