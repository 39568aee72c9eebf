"""``python -m ember.text wikitext-lstm [--root DIR] ...`` / ``python -m ember.text charlm FILE ...``:
the language-model recipes from the command line (``--lib torch`` runs the same recipe
on PyTorch for comparison)."""
import argparse
import json
import sys

from .recipes import train_char_lm, train_word_lm


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ember.text", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="recipe", required=True)
    w = sub.add_parser("wikitext-lstm", help="word-level LSTM language model on WikiText-2")
    w.add_argument("--root", help="folder with wiki.*.tokens or valid.txt/test.txt")
    w.add_argument("--epochs", type=int, default=2)
    w.add_argument("--emsize", type=int, default=200)
    w.add_argument("--nhid", type=int, default=200)
    w.add_argument("--nlayers", type=int, default=2)
    w.add_argument("--dropout", type=float, default=0.2)
    w.add_argument("--tied", action="store_true", help="tie the decoder to the embedding")
    w.add_argument("--lr", type=float, default=20.0)
    w.add_argument("--clip", type=float, default=0.25)
    w.add_argument("--batch-size", type=int, default=20)
    w.add_argument("--bptt", type=int, default=35)
    w.add_argument("--seed", type=int, default=1111)
    w.add_argument("--limit-tokens", type=int, help="use only the first N tokens of each split")
    c = sub.add_parser("charlm", help="character-level LSTM on a text file, with samples")
    c.add_argument("path", help="a UTF-8 text file")
    c.add_argument("--epochs", type=int, default=3)
    c.add_argument("--nhid", type=int, default=256)
    c.add_argument("--nlayers", type=int, default=2)
    c.add_argument("--lr", type=float, default=2e-3)
    c.add_argument("--batch-size", type=int, default=32)
    c.add_argument("--bptt", type=int, default=100)
    c.add_argument("--sample-len", type=int, default=200)
    c.add_argument("--temperature", type=float, default=0.8)
    c.add_argument("--seed", type=int, default=0)
    for s in (w, c):
        s.add_argument("--lib", choices=("ember", "torch"), default="ember")
        s.add_argument("--threads", type=int, help="BLAS threads (both libraries)")
        s.add_argument("--json", help="write the results to this file")
    a = p.parse_args(argv)
    if a.threads:
        import ember
        ember.set_num_threads(a.threads)
        if a.lib == "torch":
            import torch
            torch.set_num_threads(a.threads)
    if a.recipe == "wikitext-lstm":
        res = train_word_lm(a.root, a.lib, a.epochs, a.emsize, a.nhid, a.nlayers, a.dropout, a.tied, a.lr,
                            a.clip, a.batch_size, a.bptt, seed=a.seed, limit_tokens=a.limit_tokens)
    else:
        res = train_char_lm(a.path, a.lib, a.epochs, nhid=a.nhid, nlayers=a.nlayers, lr=a.lr,
                            batch_size=a.batch_size, bptt=a.bptt, seed=a.seed, sample_len=a.sample_len,
                            temperature=a.temperature)
    res.pop("model", None)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
