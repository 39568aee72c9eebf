"""Language-model recipes (importable, and from the command line with
``python -m ember.text``):

    wikitext-lstm  word-level LSTM on WikiText-2: truncated BPTT, gradient clipping,
                   plain SGD, optional tied weights; reports perplexity. With only the
                   valid and test splits present (as in ../shared/data/wikitext-2) it
                   trains on valid and evaluates on test.
    charlm         character-level LSTM on any text file; samples text after each epoch.

Both run on ember or, with ``lib="torch"``, on PyTorch with the same model, the same
initial weights (ember's seeded draws equal PyTorch's) and the same loop, for
side-by-side comparisons.
"""
import importlib
import math
import time

import numpy as np

__all__ = ["train_word_lm", "train_char_lm", "evaluate_lm", "sample_text"]


def _lib(name):
    if name not in ("ember", "torch"):
        raise ValueError(f"lib must be 'ember' or 'torch', got {name!r}")
    return importlib.import_module(name)


def _detach(h):
    return tuple(x.detach() for x in h) if isinstance(h, tuple) else h.detach()


def _log(verbose, msg):
    if verbose:
        print(msg, flush=True)


def train_epoch_lm(lib, model, source, bptt, batch_size, optimizer, clip):
    """One epoch of truncated BPTT over a batchified ``source``; returns the mean loss."""
    from .datasets import get_batch
    F = lib.nn.functional
    model.train()
    hidden = model.init_hidden(batch_size)
    total, steps = 0.0, 0
    for i in range(0, source.shape[0] - 1, bptt):
        data, targets = get_batch(source, i, bptt)
        hidden = _detach(hidden)          # cut the graph: truncated BPTT
        optimizer.zero_grad()
        logits, hidden = model(data, hidden)
        loss = F.cross_entropy(logits, targets)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        total += float(loss.item())
        steps += 1
    return total / max(steps, 1)


def evaluate_lm(lib, model, source, bptt, batch_size):
    """Mean per-token cross-entropy of ``model`` over a batchified ``source``."""
    from .datasets import get_batch
    F = lib.nn.functional
    model.eval()
    hidden = model.init_hidden(batch_size)
    total, count = 0.0, 0
    with lib.no_grad():
        for i in range(0, source.shape[0] - 1, bptt):
            data, targets = get_batch(source, i, bptt)
            logits, hidden = model(data, hidden)
            total += float(F.cross_entropy(logits, targets, reduction="sum").item())
            count += targets.shape[0]
    return total / count


def _batched(lib, ids, batch_size):
    from .datasets import batchify
    return batchify(lib.from_numpy(np.ascontiguousarray(ids, dtype=np.int64)), batch_size)


def train_word_lm(root=None, lib="ember", epochs=2, emsize=200, nhid=200, nlayers=2, dropout=0.2,
                  tied=False, lr=20.0, clip=0.25, batch_size=20, bptt=35, eval_batch_size=10, seed=1111,
                  limit_tokens=None, verbose=True):
    """The ``wikitext-lstm`` recipe. Returns a dict with the per-epoch training loss,
    evaluation perplexity and seconds, the vocabulary size and the split names used.

    Args:
        root (str): WikiText-2 folder (``wiki.*.tokens`` or ``valid.txt``/``test.txt``).
        lib (str): ``"ember"`` or ``"torch"``.
        limit_tokens (int, optional): use only the first tokens of each split (quick runs).
        others: model and optimisation settings (PyTorch's word-LM example's names).
    """
    from .datasets import WikiText2, WordCorpus, _wikitext_file
    from ..vision.datasets.utils import resolve_root
    L = _lib(lib)
    base = resolve_root(root)
    have_train = _wikitext_file(base, "train") is not None
    train_split, eval_split = ("train", "test") if have_train else ("valid", "test")
    names = ("train", "valid", "test") if have_train else ("valid", "test")
    corpus = WordCorpus(dict(zip(names, WikiText2(root, split=names))))
    ids = {k: v.numpy()[:limit_tokens] if limit_tokens else v.numpy() for k, v in corpus.data.items()}
    train = _batched(L, ids[train_split], batch_size)
    test = _batched(L, ids[eval_split], eval_batch_size)
    ntokens = len(corpus)
    L.manual_seed(seed)
    from .models import rnn_language_model
    model = rnn_language_model(L.nn, ntokens, emsize, nhid, nlayers, dropout, tied)
    opt = L.optim.SGD(model.parameters(), lr=lr)
    _log(verbose, f"wikitext-lstm ({lib}): train on {train_split} ({len(ids[train_split])} tokens), "
                  f"evaluate on {eval_split} ({len(ids[eval_split])} tokens), vocabulary {ntokens}")
    hist = {"lib": lib, "train_split": train_split, "eval_split": eval_split, "vocab": ntokens,
            "train_loss": [], "eval_ppl": [], "seconds": []}
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        tl = train_epoch_lm(L, model, train, bptt, batch_size, opt, clip)
        secs = time.perf_counter() - t0
        el = evaluate_lm(L, model, test, bptt, eval_batch_size)
        hist["train_loss"].append(tl)
        hist["eval_ppl"].append(math.exp(el))
        hist["seconds"].append(secs)
        _log(verbose, f"epoch {epoch}: train loss {tl:.3f} (ppl {math.exp(tl):.1f}), {eval_split} ppl "
                      f"{math.exp(el):.2f}, {secs:.0f} s")
    hist["model"] = model
    return hist


def sample_text(lib, model, corpus, length=200, temperature=0.8, seed=None, prime=None):
    """Sample ``length`` characters from a character model, one step at a time."""
    L = lib if not isinstance(lib, str) else _lib(lib)
    model.eval()
    gen = L.Generator().manual_seed(seed) if seed is not None else None
    hidden = model.init_hidden(1)
    prime = prime or corpus.vocab.lookup_token(0)
    ids = corpus.vocab.lookup_indices([c for c in prime if c in corpus.vocab]) or [0]
    out = list(ids)
    with L.no_grad():
        x = L.tensor([[ids[0]]])
        for i in range(len(ids) + length - 1):
            logits, hidden = model(x, hidden)
            if i + 1 < len(ids):
                nxt = ids[i + 1]
            else:
                probs = L.softmax(logits[-1] / temperature, dim=-1)
                nxt = int(L.multinomial(probs, 1, generator=gen).item())
                out.append(nxt)
            x = L.tensor([[nxt]])
    return corpus.decode(out)


def train_char_lm(path, lib="ember", epochs=3, emsize=64, nhid=256, nlayers=2, dropout=0.1, lr=2e-3, clip=1.0,
                  batch_size=32, bptt=100, seed=0, sample_len=200, temperature=0.8, val_fraction=0.1,
                  verbose=True):
    """The ``charlm`` recipe: a character LSTM on the text file ``path`` (Adam), printing
    the validation loss (bits per character) and a sample after every epoch. Returns a
    dict with the history, the samples and the model."""
    from .datasets import CharCorpus
    from .models import rnn_language_model
    L = _lib(lib)
    corpus = CharCorpus.from_file(path, val_fraction)
    train = _batched(L, corpus.train.numpy(), batch_size)
    valid = _batched(L, corpus.valid.numpy(), 1) if corpus.valid is not None and len(corpus.valid) > 2 else None
    L.manual_seed(seed)
    model = rnn_language_model(L.nn, len(corpus), emsize, nhid, nlayers, dropout)
    opt = L.optim.Adam(model.parameters(), lr=lr)
    _log(verbose, f"charlm ({lib}): {len(corpus.train)} training characters, {len(corpus)} distinct")
    hist = {"train_loss": [], "valid_bpc": [], "samples": [], "seconds": []}
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        tl = train_epoch_lm(L, model, train, bptt, batch_size, opt, clip)
        hist["seconds"].append(time.perf_counter() - t0)
        hist["train_loss"].append(tl)
        bpc = evaluate_lm(L, model, valid, bptt, 1) / math.log(2) if valid is not None else float("nan")
        hist["valid_bpc"].append(bpc)
        text = sample_text(L, model, corpus, sample_len, temperature, seed=seed + epoch)
        hist["samples"].append(text)
        _log(verbose, f"epoch {epoch}: train loss {tl:.3f}, valid {bpc:.3f} bits/char, "
                      f"{hist['seconds'][-1]:.0f} s\n--- sample ---\n{text}\n--------------")
    hist["model"] = model
    return hist
