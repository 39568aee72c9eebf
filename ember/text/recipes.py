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


def train_epoch_lm(lib, model, source, bptt, batch_size, optimizer, clip):
    """One epoch of truncated BPTT over a batchified ``source``; returns the mean loss."""
    part = _EpochPart(lib, model, source, bptt, batch_size)
    part.run(optimizer, clip)
    return part.mean_loss


class _EpochPart:
    """An epoch of truncated BPTT that can stop after some optimizer steps and go on
    later exactly where it stopped: its position (chunk row), the hidden state carried
    between chunks, and the loss sum so far are its ``state()``."""

    def __init__(self, lib, model, source, bptt, batch_size, state=None):
        self.lib, self.model, self.source, self.bptt = lib, model, source, bptt
        state = state or {}
        self.row = int(state.get("row", 0))
        self.total, self.n = float(state.get("total", 0.0)), int(state.get("n", 0))
        self.seconds = float(state.get("seconds", 0.0))
        h = state.get("hidden")
        self.hidden = model.init_hidden(batch_size) if h is None else (tuple(h) if len(h) == 2 else h[0])

    @property
    def finished(self):
        return self.row >= self.source.shape[0] - 1

    @property
    def mean_loss(self):
        return self.total / max(self.n, 1)

    def state(self):
        h = list(self.hidden) if isinstance(self.hidden, tuple) else [self.hidden]
        return {"row": self.row, "total": self.total, "n": self.n, "seconds": self.seconds, "hidden": h}

    def run(self, optimizer, clip, budget=None):
        """Train up to ``budget`` optimizer steps (None: to the end of the epoch);
        returns how many it took."""
        from .datasets import get_batch
        lib, model = self.lib, self.model
        F = lib.nn.functional
        model.train()
        t0, taken = time.perf_counter(), 0
        while not self.finished and (budget is None or taken < budget):
            data, targets = get_batch(self.source, self.row, self.bptt)
            optimizer.zero_grad()
            logits, hidden = model(data, self.hidden)
            loss = F.cross_entropy(logits, targets)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            self.hidden = _detach(hidden)          # cut the graph: truncated BPTT
            self.total += float(loss.item())
            self.n += 1
            self.row += self.bptt
            taken += 1
        self.seconds += time.perf_counter() - t0
        return taken


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


def _epochs(L, model, opt, hist, epochs, train, end_epoch, out, resume, meta, log, steps=None):
    """Run epochs ``done+1 .. epochs`` of truncated BPTT over ``train`` (``(source, bptt,
    batch_size, clip)``); ``end_epoch(epoch, mean_loss, seconds)`` evaluates one and
    records it in ``hist``. With ``out`` a checkpoint (model, optimizer, history, random
    state) is written after each epoch, and ``resume`` (a run directory or checkpoint)
    continues a run. ``steps``: stop after this many optimizer steps in all (counted
    over the whole run, resumes included); the checkpoint then holds the epoch's
    position and hidden state, and a resumed run ends with the same weights as one that
    never stopped. Returns whether ``steps`` stopped it."""
    from ..models._course import load_state, save_state, write_json
    source, bptt, batch_size, clip = train
    done, states = load_state(L, resume)
    partial = None
    if states:
        model.load_state_dict(states["model"])
        opt.load_state_dict(states["optimizer"])
        hist.update(states["history"])
        partial = states.get("partial")
        log(f"resumed after epoch {done}" + (f", step {hist['steps']}" if partial else ""))
    hist.setdefault("steps", 0)

    def save(epoch, part=None):
        state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "history": hist}
        if part is not None:
            state["partial"] = part.state()
        save_state(L, out, epoch, state, meta)
        write_json(out, "history.json", hist)

    for epoch in range(done + 1, int(epochs) + 1):
        part = _EpochPart(L, model, source, bptt, batch_size, partial)
        partial = None
        budget = None if steps is None else int(steps) - hist["steps"]
        if budget is not None and budget <= 0:
            log(f"stopped after {hist['steps']} steps, at the end of epoch {epoch - 1} (steps={steps}); "
                "--resume continues the run")
            return True
        hist["steps"] += part.run(opt, clip, budget)
        if not part.finished:       # --steps reached inside the epoch
            save(epoch - 1, part)
            log(f"stopped after {hist['steps']} steps in epoch {epoch} (steps={steps}); --resume "
                "continues the run")
            return True
        end_epoch(epoch, part.mean_loss, part.seconds)
        save(epoch)
    return False


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
        steps (int, optional): stop after this many optimizer steps (BPTT chunks) in all,
            resumes included; with ``out`` the run is saved there and ``resume``
            continues it exactly.
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

    def end_epoch(epoch, tl, secs):
        el = evaluate_lm(L, model, test, bptt, eval_batch_size)
        hist["train_loss"].append(tl)
        hist["eval_ppl"].append(math.exp(el))
        hist["seconds"].append(secs)
        log(f"epoch {epoch}/{epochs}: train loss {tl:.3f} (ppl {math.exp(tl):.1f}), {eval_split} "
            f"ppl {math.exp(el):.2f}, {secs:.0f} s")

    if _epochs(L, model, opt, hist, epochs, (train, bptt, batch_size, clip), end_epoch, out, resume, meta,
               log, steps):   # stopped by ``steps``: the model as it is now
        hist["stopped_ppl"] = math.exp(evaluate_lm(L, model, test, bptt, eval_batch_size))
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

    def end_epoch(epoch, tl, secs):
        hist["seconds"].append(secs)
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
            f"{secs:.0f} s\n--- sample ---\n{text}\n--------------")

    if _epochs(L, model, opt, hist, epochs, (train, bptt, batch_size, clip), end_epoch, out, resume, meta,
               log, steps) and valid is not None:   # stopped by ``steps``: the model as it is now
        hist["stopped_bpc"] = evaluate_lm(L, model, valid, bptt, eval_batch_size) / math.log(2)
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
    ``limit_test`` tokens; ``steps`` optimizer steps in all). Returns its history."""
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
    (``limit_train`` characters, ``steps`` optimizer steps in all). Returns its history."""
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


def _last(res, stopped, per_epoch):
    """The figure of a run's last line: the model's where ``steps`` stopped it, else the
    last epoch's."""
    if stopped in res:
        return res[stopped]
    return res[per_epoch][-1] if res[per_epoch] else float("nan")


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
          lambda r: f"{r['eval_split']} perplexity: {_last(r, 'stopped_ppl', 'eval_ppl'):.2f}")
    entry("charlm", "character LSTM (2x256) on a text file (--data-dir FILE), Adam, BPTT 100; a "
          "sample after every epoch", run_charlm, _CHAR,
          lambda r: f"validation: {_last(r, 'stopped_bpc', 'valid_bpc'):.3f} bits/char")
