"""How much one request may ask for, checked before any tokenizing or model work.

Without these a 30 KB request of 4,000 vocabulary words to /neighbors raised the server from
2.7 to 4.0 GB for good (onnxruntime keeps its arena at its peak), and a 100 MB text ran 35 s
before anything refused it. Every text argument of every endpoint and UI event is held to
MAX_TEXT_CHARS (serving/guards.py); the HTTP layer refuses bodies over MAX_BODY_BYTES before
they are parsed (serving/http_guards.py).
"""
from serving.errors import InputError

# a review of 5,000 tokens, what /classify reads in one pass, is ~26,000 characters (IMDB's test
# reviews: 5.1 characters a token, the longest 12,730 characters); the other endpoints cap their
# own work in tokens or words (a language-model text at 1,000 tokens, a word-vector query at
# MAX_QUERY_WORDS, the Basics tab's layers and units)
MAX_TEXT_CHARS = 40_000
MAX_QUERY_WORDS = 24        # positive and negative words of one word-vector query together
# a text at the limit written as JSON \u escapes (up to 12 bytes a character), with room to spare
MAX_BODY_BYTES = 512 * 1024


def check_text(text: str, name: str = "text", limit: int = MAX_TEXT_CHARS) -> str:
    if len(text) > limit:
        raise InputError(f"{name} is too long: {len(text):,} characters (the limit is {limit:,}).")
    return text
