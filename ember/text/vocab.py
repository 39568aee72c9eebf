"""A token vocabulary: tokens <-> integer ids (torchtext's ``Vocab`` API)."""
from collections import Counter

__all__ = ["Vocab", "build_vocab_from_iterator"]


class Vocab:
    """An ordered token list with the reverse lookup.

    Args:
        tokens (list of str): the tokens in id order (no duplicates).

    Example:
        >>> v = build_vocab_from_iterator([["a", "b", "a"]], specials=["<unk>"])
        >>> v.set_default_index(v["<unk>"])
        >>> v(["a", "zzz"])
        [1, 0]
    """

    def __init__(self, tokens):
        self._itos = list(tokens)
        self._stoi = {}
        for i, t in enumerate(self._itos):
            if t in self._stoi:
                raise RuntimeError(f"Vocab: token {t!r} appears twice")
            self._stoi[t] = i
        self._default = None

    def __len__(self):
        return len(self._itos)

    def __contains__(self, token):
        return token in self._stoi

    def __getitem__(self, token):
        i = self._stoi.get(token, self._default)
        if i is None:
            raise RuntimeError(f"Token {token} not found and default index is not set")
        return i

    def __call__(self, tokens):
        return self.lookup_indices(tokens)

    def __iter__(self):
        return iter(self._itos)

    def __repr__(self):
        return f"Vocab({len(self)} tokens)"

    def set_default_index(self, index):
        """The id returned for unknown tokens (None: raise instead)."""
        self._default = index

    def get_default_index(self):
        return self._default

    def lookup_indices(self, tokens):
        return [self[t] for t in tokens]

    def lookup_token(self, index):
        if not 0 <= index < len(self._itos):
            raise RuntimeError(f"Specified index {index} is out of bounds of the size of itos "
                               f"dictionary: {len(self._itos)}.")
        return self._itos[index]

    def lookup_tokens(self, indices):
        return [self.lookup_token(int(i)) for i in indices]

    def get_itos(self):
        return list(self._itos)

    def get_stoi(self):
        return dict(self._stoi)

    def append_token(self, token):
        if token in self._stoi:
            raise RuntimeError(f"Token {token} already exists in the Vocab with index: {self._stoi[token]}")
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    def insert_token(self, token, index):
        if token in self._stoi:
            raise RuntimeError(f"Token {token} already exists in the Vocab with index: {self._stoi[token]}")
        self._itos.insert(index, token)
        self._stoi = {t: i for i, t in enumerate(self._itos)}


def build_vocab_from_iterator(iterator, min_freq=1, specials=None, special_first=True, max_tokens=None):
    """Build a ``Vocab`` from an iterable of token lists.

    Tokens are ordered by decreasing frequency, ties alphabetically; tokens seen fewer
    than ``min_freq`` times are left out. ``specials`` (e.g. ``["<unk>", "<pad>"]``)
    go first (or last with ``special_first=False``); ``max_tokens`` caps the size,
    specials included.
    """
    counter = Counter()
    for tokens in iterator:
        counter.update(tokens)
    specials = list(specials or [])
    for s in specials:
        counter.pop(s, None)
    ordered = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    words = [t for t, c in ordered if c >= min_freq]
    if max_tokens is not None:
        if max_tokens <= len(specials):
            raise ValueError("max_tokens must be larger than the number of special tokens")
        words = words[:max_tokens - len(specials)]
    return Vocab(specials + words if special_first else words + specials)
