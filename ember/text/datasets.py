"""Text corpora for language models: WikiText-2, a word corpus, a character corpus, and
the (seq_len, batch) batching used for truncated back-propagation through time."""
import os
import zipfile

import numpy as np

__all__ = ["WikiText2", "WordCorpus", "CharCorpus", "batchify", "get_batch", "BPTTIterator"]

_WT2_URL = "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip"
_WT2_MD5 = "542ccefacc6c27f945fb54453812b3cd"
_SPLITS = ("train", "valid", "test")


def _wikitext_file(root, split):
    """The file of ``split`` under ``root``: the standard ``wiki.{split}.tokens`` (also
    inside ``wikitext-2/``), or ``{split}.txt``."""
    for sub in ("", "wikitext-2"):
        for name in (f"wiki.{split}.tokens", f"{split}.txt"):
            path = os.path.join(root, sub, name)
            if os.path.isfile(path):
                return path
    return None


def WikiText2(root=None, split=_SPLITS, download=False):
    """The WikiText-2 language-modelling corpus (Merity et al., 2016), as lists of lines.

    Reads ``wiki.{train,valid,test}.tokens`` (the standard layout, also under a
    ``wikitext-2/`` subfolder) or ``{train,valid,test}.txt`` from ``root``.

    Args:
        root (str, optional): the folder with the files (default ``$EMBER_DATA`` or
            ``~/.cache/ember/data``).
        split (str or tuple of str): ``"train"``, ``"valid"``, ``"test"``, or several.
        download (bool): download and unpack the official zip (MD5-checked) if a split
            is missing.

    Returns:
        a list of lines (str) for one split, or a tuple of lists for several.

    Example:
        >>> valid, test = WikiText2("/data/wikitext-2", split=("valid", "test"))
    """
    from ..vision.datasets.utils import DatasetError, download_url, resolve_root
    root = resolve_root(root)
    splits = (split,) if isinstance(split, str) else tuple(split)
    for s in splits:
        if s not in _SPLITS:
            raise ValueError(f"WikiText2: unknown split {s!r}; choose from {_SPLITS}")
    missing = [s for s in splits if _wikitext_file(root, s) is None]
    if missing and download:
        os.makedirs(root, exist_ok=True)
        archive = download_url(_WT2_URL, os.path.join(root, "wikitext-2-v1.zip"), md5=_WT2_MD5)
        with zipfile.ZipFile(archive) as z:
            z.extractall(root)
        missing = [s for s in splits if _wikitext_file(root, s) is None]
    if missing:
        raise DatasetError(f"WikiText2: no {', '.join(missing)} split under {root} (looked for "
                           f"wiki.<split>.tokens and <split>.txt, also in wikitext-2/); pass "
                           "download=True or root= the folder that has them")
    out = []
    for s in splits:
        with open(_wikitext_file(root, s), encoding="utf-8") as f:
            out.append(f.read().splitlines())
    return out[0] if isinstance(split, str) else tuple(out)


class WordCorpus:
    """Word-level corpus: each line's whitespace tokens plus ``<eos>``, one shared
    vocabulary (built in order of first appearance, as PyTorch's word-LM example does).

    Args:
        splits (dict): name -> list of lines (e.g. from ``WikiText2``).

    Attributes:
        vocab (Vocab): the tokens. ``data[name]``: int64 ids of each split, 1-D Tensor.
    """

    def __init__(self, splits):
        import ember
        from .vocab import Vocab
        itos, stoi = [], {}
        encoded = {}
        for name, lines in splits.items():
            ids = []
            for line in lines:
                for w in line.split() + ["<eos>"]:
                    i = stoi.get(w)
                    if i is None:
                        i = stoi[w] = len(itos)
                        itos.append(w)
                    ids.append(i)
            encoded[name] = ember.tensor(np.asarray(ids, dtype=np.int64))
        self.vocab = Vocab(itos)
        self.data = encoded

    def __len__(self):
        return len(self.vocab)


class CharCorpus:
    """Character-level corpus of one text: the sorted set of characters as vocabulary,
    the text as int64 ids, split into a training head and a validation tail.

    Args:
        text (str): the text. val_fraction (float): share of characters held out.
    """

    def __init__(self, text, val_fraction=0.1):
        import ember
        from .vocab import Vocab
        if len(text) < 4:
            raise ValueError(f"CharCorpus: the text has only {len(text)} characters")
        self.vocab = Vocab(sorted(set(text)))
        ids = np.asarray(self.vocab.lookup_indices(text), dtype=np.int64)
        n_val = int(len(ids) * val_fraction) if val_fraction else 0
        n_val = min(max(n_val, 2 if val_fraction else 0), len(ids) - 2)
        self.train = ember.tensor(ids[:len(ids) - n_val])
        self.valid = ember.tensor(ids[len(ids) - n_val:]) if n_val else None

    @classmethod
    def from_file(cls, path, val_fraction=0.1, encoding="utf-8"):
        with open(path, encoding=encoding) as f:
            return cls(f.read(), val_fraction)

    def __len__(self):
        return len(self.vocab)

    def decode(self, ids):
        return "".join(self.vocab.lookup_tokens(ids))


def batchify(data, batch_size):
    """Cut a 1-D token stream into ``batch_size`` parallel streams: ``(steps, batch)``
    (the remainder that does not fill a column is dropped).

    Example:
        >>> batchify(ember.arange(10), 3)      # columns 0-2, 3-5, 6-8
        tensor([[0, 3, 6],
                [1, 4, 7],
                [2, 5, 8]])
    """
    n = data.shape[0] // batch_size
    if n < 2:
        raise ValueError(f"batchify: {data.shape[0]} tokens are too few for batch size {batch_size}")
    return data[:n * batch_size].reshape(batch_size, n).t().contiguous()


def get_batch(source, i, bptt):
    """The chunk starting at row ``i`` of a batchified ``source``: ``(input (L, B),
    target (L * B,))`` with ``L = min(bptt, len(source) - 1 - i)``; the target is the
    input shifted by one step."""
    seq_len = min(bptt, source.shape[0] - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


class BPTTIterator:
    """Iterate ``(input, target)`` chunks of ``bptt`` steps over a token stream batched
    into ``batch_size`` columns (truncated back-propagation through time).

    Example:
        >>> for x, y in BPTTIterator(corpus.data["train"], batch_size=20, bptt=35):
        ...     ...   # x: (35, 20) ids, y: (700,) next-token ids
    """

    def __init__(self, data, batch_size, bptt):
        self.source = batchify(data, batch_size)
        self.bptt = bptt

    def __len__(self):
        return (self.source.shape[0] - 1 + self.bptt - 1) // self.bptt

    def __iter__(self):
        for i in range(0, self.source.shape[0] - 1, self.bptt):
            yield get_batch(self.source, i, self.bptt)
