"""Language-model recipes: importable, ``ember train wikitext-lstm`` / ``ember train
charlm`` (checkpoints, ``--resume``, ``--epochs``, ``--steps``) and ``python -m
ember.text`` (quick side-by-side runs, ``--lib torch``). One implementation each:
:func:`train_word_lm` and :func:`train_char_lm`; the CLI entries call them through
:func:`run_wikitext_lstm` and :func:`run_charlm`.

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
import os
import time

import numpy as np

__all__ = ["train_word_lm", "train_char_lm", "evaluate_lm", "sample_text", "run_wikitext_lstm",
           "run_charlm"]


def _lib(name):
    if name not in ("ember", "torch"):
        raise ValueError(f"lib must be 'ember' or 'torch', got {name!r}")
    return importlib.import_module(name)


def _detach(h):
    return tuple(x.detach() for x in h) if isinstance(h, tuple) else h.detach()


def _logger(verbose, log):
    if log is not None:
        return log
    return (lambda msg: print(msg, flush=True)) if verbose else (lambda msg: None)


def train_epoch_lm(lib, model, source, bptt, batch_size, optimizer, clip, steps=None):
    """One epoch of truncated BPTT over a batchified ``source`` (at most ``steps``
    chunks); returns the mean loss."""
    from .datasets import get_batch
    F = lib.nn.functional
    model.train()
    hidden = model.init_hidden(batch_size)
    total, n = 0.0, 0
    for i in range(0, source.shape[0] - 1, bptt):
        if steps is not None and n >= steps:
            break
        data, targets = get_batch(source, i, bptt)
        hidden = _detach(hidden)          # cut the graph: truncated BPTT
        optimizer.zero_grad()
        logits, hidden = model(data, hidden)
        loss = F.cross_entropy(logits, targets)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        total += float(loss.item())
        n += 1
    return total / max(n, 1)


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


def _epochs(L, model, opt, hist, epochs, one_epoch, out, resume, meta, log):
    """Run epochs ``done+1 .. epochs``: ``one_epoch(epoch)`` trains one and records it in
    ``hist``; with ``out`` a checkpoint (model, optimizer, history, random state) is
    written after each, and ``resume`` (a run directory or checkpoint) continues one.
    A resumed run ends with the same weights as one that never stopped."""
    from ..models._course import load_state, save_state, write_json
    done, states = load_state(L, resume)
    if done:
        model.load_state_dict(states["model"])
        opt.load_state_dict(states["optimizer"])
        hist.update(states["history"])
        log(f"resumed after epoch {done}")
    for epoch in range(done + 1, int(epochs) + 1):
        one_epoch(epoch)
        save_state(L, out, epoch, {"model": model.state_dict(), "optimizer": opt.state_dict(),
                                   "history": hist}, meta)
        write_json(out, "history.json", hist)
    return hist


def train_word_lm(root=None, lib="ember", epochs=2, emsize=200, nhid=200, nlayers=2, dropout=0.2,
                  tied=False, lr=20.0, clip=0.25, batch_size=20, bptt=35, eval_batch_size=10, seed=1111,
                  limit_tokens=None, verbose=True, *, limit_eval_tokens=None, steps=None, out=None,
                  resume=None, meta=None, download=False, log=None, make_optimizer=None):
    """The ``wikitext-lstm`` recipe. Returns a dict with the per-epoch training loss,
    evaluation perplexity and seconds, the vocabulary size, the split names used, and
    the trained ``model``.

    Args:
        root (str): WikiText-2 folder (``wiki.*.tokens`` or ``valid.txt``/``test.txt``).
        lib (str): ``"ember"`` or ``"torch"``.
        limit_tokens (int, optional): use only the first tokens of the training split
            (and, unless ``limit_eval_tokens`` is given, of the evaluation split).
        steps (int, optional): at most this many BPTT chunks per epoch (quick runs).
        out (str, optional): run directory: a checkpoint after every epoch and
            ``history.json``. resume (str, optional): a run directory or checkpoint to
            continue. meta (dict): stored in the checkpoint (``ember train`` puts the
            recipe and its configuration there). download (bool): fetch WikiText-2 if
            missing. log (callable): prints progress (default ``print`` if ``verbose``).
        make_optimizer (callable, optional): ``params -> optimizer`` instead of
            ``SGD(lr)``.
        others: model and optimisation settings (PyTorch's word-LM example's names).
    """
    from ..vision.datasets.utils import resolve_root
    from .datasets import WikiText2, WordCorpus, _wikitext_file
    from .models import rnn_language_model
    L, log = _lib(lib), _logger(verbose, log)
    base = resolve_root(root)
    have_train = _wikitext_file(base, "train") is not None
    train_split, eval_split = ("train", "test") if have_train else ("valid", "test")
    names = ("train", "valid", "test") if have_train else ("valid", "test")
    corpus = WordCorpus(dict(zip(names, WikiText2(root, split=names, download=download))))
    limit_eval_tokens = limit_eval_tokens or limit_tokens
    ids = {k: v.numpy() for k, v in corpus.data.items()}
    train = _batched(L, ids[train_split][:limit_tokens], batch_size)
    test = _batched(L, ids[eval_split][:limit_eval_tokens], eval_batch_size)
    ntokens = len(corpus)
    L.manual_seed(seed)
    model = rnn_language_model(L.nn, ntokens, emsize, nhid, nlayers, dropout, tied)
    opt = (make_optimizer or (lambda p: L.optim.SGD(p, lr=lr)))(model.parameters())
    log(f"wikitext-lstm ({lib}): train on {train_split} ({train.numel()} tokens), evaluate on "
        f"{eval_split} ({test.numel()} tokens), vocabulary {ntokens}")
    hist = {"lib": lib, "train_split": train_split, "eval_split": eval_split, "vocab": ntokens,
            "train_loss": [], "eval_ppl": [], "seconds": []}

    def one_epoch(epoch):
        t0 = time.perf_counter()
        tl = train_epoch_lm(L, model, train, bptt, batch_size, opt, clip, steps)
        secs = time.perf_counter() - t0
        el = evaluate_lm(L, model, test, bptt, eval_batch_size)
        hist["train_loss"].append(tl)
        hist["eval_ppl"].append(math.exp(el))
        hist["seconds"].append(secs)
        log(f"epoch {epoch}/{epochs}: train loss {tl:.3f} (ppl {math.exp(tl):.1f}), {eval_split} "
            f"ppl {math.exp(el):.2f}, {secs:.0f} s")

    _epochs(L, model, opt, hist, epochs, one_epoch, out, resume, meta, log)
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
                  verbose=True, *, limit_chars=None, steps=None, eval_batch_size=1, out=None, resume=None,
                  meta=None, log=None, make_optimizer=None):
    """The ``charlm`` recipe: a character LSTM on the text file ``path`` (Adam), printing
    the validation loss (bits per character) and a sample after every epoch. Returns a
    dict with the history, the samples and the model.

    Args:
        path (str): a UTF-8 text file (the last ``val_fraction`` is held out).
        limit_chars (int, optional): use only the first characters of the file.
        steps, out, resume, meta, log, make_optimizer: as :func:`train_word_lm` (the
            default optimizer is ``Adam(lr)``); with ``out`` each
            epoch's sample is also written to ``out/samples.txt``.
    """
    from .datasets import CharCorpus
    from .models import rnn_language_model
    L, log = _lib(lib), _logger(verbose, log)
    with open(path, encoding="utf-8") as f:
        corpus = CharCorpus(f.read()[:limit_chars], val_fraction)
    train = _batched(L, corpus.train.numpy(), batch_size)
    valid = None
    if corpus.valid is not None and len(corpus.valid) >= 2 * eval_batch_size:
        valid = _batched(L, corpus.valid.numpy(), eval_batch_size)
    L.manual_seed(seed)
    model = rnn_language_model(L.nn, len(corpus), emsize, nhid, nlayers, dropout)
    opt = (make_optimizer or (lambda p: L.optim.Adam(p, lr=lr)))(model.parameters())
    log(f"charlm ({lib}): {len(corpus.train)} training characters, {len(corpus)} distinct")
    hist = {"lib": lib, "train_loss": [], "valid_bpc": [], "samples": [], "seconds": []}

    def one_epoch(epoch):
        t0 = time.perf_counter()
        tl = train_epoch_lm(L, model, train, bptt, batch_size, opt, clip, steps)
        hist["seconds"].append(time.perf_counter() - t0)
        hist["train_loss"].append(tl)
        bpc = (evaluate_lm(L, model, valid, bptt, eval_batch_size) / math.log(2) if valid is not None
               else float("nan"))
        hist["valid_bpc"].append(bpc)
        text = sample_text(L, model, corpus, sample_len, temperature, seed=seed + epoch)
        hist["samples"].append(text)
        if out is not None:
            with open(os.path.join(out, "samples.txt"), "a", encoding="utf-8") as f:
                f.write(f"--- epoch {epoch} ---\n{text}\n")
        log(f"epoch {epoch}/{epochs}: train loss {tl:.3f}, valid {bpc:.3f} bits/char, "
            f"{hist['seconds'][-1]:.0f} s\n--- sample ---\n{text}\n--------------")

    _epochs(L, model, opt, hist, epochs, one_epoch, out, resume, meta, log)
    hist["model"] = model
    return hist


# ----------------------------------------------------------------------------- ember train
def _meta(cfg):
    return {"recipe": cfg["recipe"], "config": cfg}


def _optimizer(cfg):
    """The configuration's optimizer (``--optimizer``, ``--lr``, momentum, weight decay)."""
    from ..recipes import RecipeError, build_optimizer
    if cfg.get("scheduler", "none") != "none":
        raise RecipeError(f"{cfg['recipe']} keeps its learning rate fixed: it takes no --scheduler "
                          f"(got {cfg['scheduler']!r})")
    return lambda params: build_optimizer(cfg, params)


def _limit(cfg, key):
    return int(cfg[key]) if cfg.get(key) is not None else None


def run_wikitext_lstm(cfg, out=None, resume=None, log=print):
    """``ember train wikitext-lstm``: :func:`train_word_lm` with a recipe configuration
    (``data_dir`` the WikiText-2 folder, downloaded there if missing; ``limit_train`` /
    ``limit_test`` tokens; ``steps`` chunks per epoch). Returns its history."""
    res = train_word_lm(cfg["data_dir"], "ember", int(cfg["epochs"]), int(cfg["emsize"]), int(cfg["nhid"]),
                        int(cfg["nlayers"]), float(cfg["dropout"]), bool(cfg["tied"]), float(cfg["lr"]),
                        float(cfg["clip"]), int(cfg["batch_size"]), int(cfg["bptt"]),
                        int(cfg["eval_batch_size"]), int(cfg["seed"]), _limit(cfg, "limit_train"),
                        limit_eval_tokens=_limit(cfg, "limit_test"), steps=_limit(cfg, "steps"), out=out,
                        resume=resume, meta=_meta(cfg), download=True, log=log,
                        make_optimizer=_optimizer(cfg))
    res.pop("model")
    return res


def _text_file(data_dir):
    """The charlm text: ``data_dir`` itself if a file, else its ``input.txt``."""
    from ..recipes import RecipeError
    if data_dir is None:
        raise RecipeError("charlm trains on a text file: give it with --data-dir FILE (a UTF-8 "
                          "text file, or a folder holding input.txt)")
    path = os.path.expanduser(os.fspath(data_dir))
    if os.path.isdir(path):
        path = os.path.join(path, "input.txt")
    if not os.path.isfile(path):
        raise RecipeError(f"charlm: no text file at {path}: give --data-dir FILE (a UTF-8 text "
                          "file, or a folder holding input.txt)")
    return path


def run_charlm(cfg, out=None, resume=None, log=print):
    """``ember train charlm``: :func:`train_char_lm` on the text file ``data_dir``
    (``limit_train`` characters, ``steps`` chunks per epoch). Returns its history."""
    res = train_char_lm(_text_file(cfg["data_dir"]), "ember", int(cfg["epochs"]), int(cfg["emsize"]),
                        int(cfg["nhid"]), int(cfg["nlayers"]), float(cfg["dropout"]), float(cfg["lr"]),
                        float(cfg["clip"]), int(cfg["batch_size"]), int(cfg["bptt"]), int(cfg["seed"]),
                        int(cfg["sample_len"]), float(cfg["temperature"]), float(cfg["val_fraction"]),
                        limit_chars=_limit(cfg, "limit_train"), steps=_limit(cfg, "steps"),
                        eval_batch_size=int(cfg["eval_batch_size"]), out=out, resume=resume,
                        meta=_meta(cfg), log=log, make_optimizer=_optimizer(cfg))
    res.pop("model")
    return res


_WORD = dict(epochs=2, batch_size=20, lr=20.0, optimizer="sgd", scheduler="none", seed=1111,
             eval_batch_size=10, emsize=200, nhid=200, nlayers=2, dropout=0.2, tied=True, clip=0.25,
             bptt=35, steps=None)
_CHAR = dict(epochs=3, batch_size=32, lr=2e-3, optimizer="adam", scheduler="none", seed=0,
             eval_batch_size=1, emsize=64, nhid=256, nlayers=2, dropout=0.1, clip=1.0, bptt=100,
             sample_len=200, temperature=0.8, val_fraction=0.1, steps=None, data_file=True)


def register_recipes():
    """Register ``wikitext-lstm`` and ``charlm`` as ``ember train`` recipes (task recipes:
    their own loop; ``ember.recipes`` calls this on import)."""
    from ..recipes import RECIPES, RecipeError, register
    from ..recipes_course import TaskRecipe

    def entry(name, description, fn, defaults, summary):
        def run(cfg, out, resume=None, quiet=False):
            log = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
            return summary(fn(cfg, out=out, resume=resume, log=log))

        def model(cfg):
            raise RecipeError(f"{name} is a language-model recipe: its run directory holds "
                              f"history.json; from Python, use ember.text.recipes.{fn.__name__}")

        if name not in RECIPES:
            register(TaskRecipe(name, description, model, lambda cfg: (None, None, description),
                                defaults, run))

    entry("wikitext-lstm", "word-level LSTM language model (2x200, tied weights), truncated BPTT 35, "
          "clipping 0.25, WikiText-2 (--data-dir: the folder with its files)", run_wikitext_lstm, _WORD,
          lambda r: f"{r['eval_split']} perplexity: {r['eval_ppl'][-1]:.2f}")
    entry("charlm", "character LSTM (2x256) on a text file (--data-dir FILE), Adam, BPTT 100; a "
          "sample after every epoch", run_charlm, _CHAR,
          lambda r: f"validation: {r['valid_bpc'][-1]:.3f} bits/char")
