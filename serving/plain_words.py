"""How the tabs say numbers and machines to a visitor: one format per kind of number, the same
in every tab (an accuracy as 85.2, a cosine or a correlation as 0.716, a perplexity as 79.3),
and the machine a model trained on in words instead of its platform string."""
import re


def percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}"


def three_decimals(value: float) -> str:
    """A cosine or a correlation."""
    return f"{value:.3f}"


def one_decimal(value: float) -> str:
    """A perplexity."""
    return f"{value:.1f}"


def counted(number: int, noun: str) -> str:
    """"1 token", "2 tokens", "1,000 tokens": a count of one takes the singular ("1 tokens read")."""
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def machine_in_words(machine: str) -> str:
    """"x86_64 CPU, 1 threads" -> "one CPU core"; "2-core CPU (2 threads)" -> "2 CPU cores";
    a GPU's model name -> "a GPU"."""
    if "NVIDIA" in machine or "GPU" in machine:
        return "a GPU"
    threads = re.search(r"(\d+) (thread|worker)", machine)
    count = int(threads.group(1)) if threads else 1
    return "one CPU core" if count == 1 else f"{count} CPU cores"
