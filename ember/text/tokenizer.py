"""Tokenizers: ``get_tokenizer("basic_english")`` (torchtext's rules) and whitespace."""
import re

__all__ = ["get_tokenizer", "basic_english"]

# torchtext's basic_english rules: lower-case, split off punctuation, drop quotes
_RULES = [(re.compile(p), r) for p, r in (
    (r"\'", " '  "), (r"\"", ""), (r"\.", " . "), (r"<br \/>", " "), (r",", " , "), (r"\(", " ( "),
    (r"\)", " ) "), (r"\!", " ! "), (r"\?", " ? "), (r"\;", " "), (r"\:", " "), (r"\s+", " "))]


def basic_english(line):
    """Lower-case ``line``, separate ``. , ( ) ! ?`` and apostrophes, drop double quotes,
    semicolons and colons, split on whitespace.

    Example:
        >>> basic_english("Hello, World! It's 3:00.")
        ['hello', ',', 'world', '!', 'it', "'", 's', '3', '00', '.']
    """
    line = line.lower()
    for pattern, repl in _RULES:
        line = pattern.sub(repl, line)
    return line.split()


def _split(line):
    return line.split()


def get_tokenizer(tokenizer, language="en"):
    """A function ``str -> list of str``.

    Args:
        tokenizer: ``"basic_english"``, None (split on whitespace) or a callable
            (returned as it is).
        language (str): only ``"en"`` for ``basic_english``.
    """
    if tokenizer is None:
        return _split
    if callable(tokenizer):
        return tokenizer
    if tokenizer == "basic_english":
        if language != "en":
            raise ValueError("Basic normalization is only available for English(en)")
        return basic_english
    raise ValueError(f"get_tokenizer: unknown tokenizer {tokenizer!r}; ember has 'basic_english', None "
                     "(whitespace) or a callable")
