"""ember.text: tokenizer, vocabulary, corpora and BPTT batching on small local files;
the language-model recipes run end to end on a tiny corpus, and ember's language model
starts from the same weights as PyTorch's and computes the same loss."""
import numpy as np
import pytest

import ember
from ember.text import (BPTTIterator, CharCorpus, Vocab, WikiText2, WordCorpus, basic_english, batchify,
                        build_vocab_from_iterator, get_batch, get_tokenizer, rnn_language_model)
from ember.text.recipes import train_char_lm, train_word_lm
from tests.helpers import require_torch

LINES = [" = Title = ", "", " the cat sat on the mat . ", " the dog sat . ", " a <unk> ran , fast . "]


def test_basic_english_tokenizer():
    tok = get_tokenizer("basic_english")
    assert tok("Hello, World! It's 3:00. \"Quoted\" (yes); no?") == \
        ["hello", ",", "world", "!", "it", "'", "s", "3", "00", ".", "quoted", "(", "yes", ")", "no", "?"]
    assert get_tokenizer(None)("a  b\tc") == ["a", "b", "c"]
    assert get_tokenizer(str.split) is str.split
    with pytest.raises(ValueError, match="unknown tokenizer"):
        get_tokenizer("spacy")
    assert basic_english("A.B") == ["a", ".", "b"]


def test_vocab():
    v = build_vocab_from_iterator([["b", "a", "b"], ["c", "a", "b", "d"]], min_freq=2, specials=["<unk>", "<pad>"])
    assert v.get_itos() == ["<unk>", "<pad>", "b", "a"]  # by frequency, then alphabetically
    assert len(v) == 4 and "b" in v and "c" not in v
    with pytest.raises(RuntimeError, match="default index is not set"):
        v["c"]
    v.set_default_index(v["<unk>"])
    assert v(["a", "c"]) == [3, 0]
    assert v.lookup_tokens([2, 3]) == ["b", "a"]
    v.append_token("z")
    assert v["z"] == 4
    v.insert_token("y", 0)
    assert v["y"] == 0 and v["z"] == 5
    with pytest.raises(RuntimeError, match="already exists"):
        v.append_token("a")
    last = build_vocab_from_iterator([["x", "y"]], specials=["<s>"], special_first=False, max_tokens=2)
    assert last.get_itos() == ["x", "<s>"]
    assert isinstance(Vocab(["p", "q"]), Vocab)


def _write_wikitext(root, names):
    for name in names:
        (root / name).write_text("\n".join(LINES) + "\n")


@pytest.mark.parametrize("layout", ["standard", "subfolder", "txt"])
def test_wikitext2_layouts(tmp_path, layout):
    if layout == "standard":
        _write_wikitext(tmp_path, ["wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"])
    elif layout == "subfolder":
        (tmp_path / "wikitext-2").mkdir()
        _write_wikitext(tmp_path / "wikitext-2", ["wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"])
    else:
        _write_wikitext(tmp_path, ["valid.txt", "test.txt"])
    valid = WikiText2(tmp_path, split="valid")
    assert valid == LINES
    if layout == "txt":
        from ember.vision.datasets.utils import DatasetError
        with pytest.raises(DatasetError, match="no train split"):
            WikiText2(tmp_path)
    else:
        train, va, test = WikiText2(tmp_path)
        assert train == va == test == LINES
    with pytest.raises(ValueError, match="unknown split"):
        WikiText2(tmp_path, split="dev")


def test_word_corpus_batchify_and_bptt():
    corpus = WordCorpus({"valid": LINES, "test": LINES[2:3]})
    ids = corpus.data["valid"]
    assert ids.dtype == ember.int64
    words = [w for line in LINES for w in line.split() + ["<eos>"]]
    assert corpus.vocab.lookup_tokens(ids.tolist()) == words
    assert len(corpus.data["test"]) == len(LINES[2].split()) + 1
    src = batchify(ember.arange(10), 3)
    np.testing.assert_array_equal(src.numpy(), [[0, 3, 6], [1, 4, 7], [2, 5, 8]])
    x, y = get_batch(src, 0, 2)
    np.testing.assert_array_equal(x.numpy(), [[0, 3, 6], [1, 4, 7]])
    np.testing.assert_array_equal(y.numpy(), [1, 4, 7, 2, 5, 8])
    chunks = list(BPTTIterator(ember.arange(40), batch_size=4, bptt=3))
    assert len(chunks) == len(BPTTIterator(ember.arange(40), 4, 3)) == 3
    assert [tuple(c[0].shape) for c in chunks] == [(3, 4), (3, 4), (3, 4)]
    with pytest.raises(ValueError, match="too few"):
        batchify(ember.arange(3), 4)


def test_char_corpus(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("hello world\n" * 5)
    c = CharCorpus.from_file(p, val_fraction=0.2)
    assert len(c) == len(set("hello world\n"))
    assert c.decode(c.train.tolist()) + c.decode(c.valid.tolist()) == "hello world\n" * 5
    assert len(c.valid) == 12


def test_language_model_same_init_and_loss_as_pytorch():
    torch = require_torch()
    models = []
    for lib in (torch, ember):
        lib.manual_seed(7)
        models.append(rnn_language_model(lib.nn, 50, 8, 8, nlayers=2, dropout=0.0, tie_weights=True))
    tm, em = models
    t_sd, e_sd = tm.state_dict(), em.state_dict()
    assert list(t_sd) == list(e_sd)
    for k in t_sd:  # ember's seeded draws are PyTorch's: the same initial weights
        np.testing.assert_array_equal(e_sd[k].numpy(), t_sd[k].numpy(), err_msg=k)
    assert em.decoder.weight is em.encoder.weight
    x = np.random.default_rng(0).integers(0, 50, (6, 3))
    losses = []
    for lib, m in ((torch, tm), (ember, em)):
        logits, _ = m(lib.from_numpy(x), m.init_hidden(3))
        loss = lib.nn.functional.cross_entropy(logits, lib.from_numpy(x.reshape(-1)))
        loss.backward()
        losses.append((float(loss.detach()), m.encoder.weight.grad.numpy().copy()))
    np.testing.assert_allclose(losses[1][0], losses[0][0], rtol=1e-6)
    np.testing.assert_allclose(losses[1][1], losses[0][1], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="nhid must be equal to emsize"):
        rnn_language_model(ember.nn, 10, 4, 6, tie_weights=True)


def test_recipes_run_end_to_end(tmp_path):
    _write_wikitext(tmp_path, ["valid.txt", "test.txt"])
    res = train_word_lm(tmp_path, epochs=2, emsize=8, nhid=8, nlayers=1, batch_size=2, bptt=4,
                        eval_batch_size=1, lr=1.0, verbose=False)
    assert res["train_split"] == "valid" and res["eval_split"] == "test"
    assert len(res["eval_ppl"]) == 2 and all(np.isfinite(res["eval_ppl"]))
    assert res["train_loss"][1] < res["train_loss"][0]
    p = tmp_path / "text.txt"
    p.write_text("abcabcabd " * 30)
    res = train_char_lm(p, epochs=1, emsize=4, nhid=8, nlayers=1, batch_size=2, bptt=8, sample_len=20,
                        verbose=False)
    assert len(res["samples"]) == 1 and len(res["samples"][0]) == 21
    assert set(res["samples"][0]) <= set("abcd ")


def test_cli_main(tmp_path, capsys):
    from ember.text.__main__ import main
    _write_wikitext(tmp_path, ["valid.txt", "test.txt"])
    out = tmp_path / "r.json"
    assert main(["wikitext-lstm", "--root", str(tmp_path), "--epochs", "1", "--emsize", "4", "--nhid", "4",
                 "--nlayers", "1", "--batch-size", "2", "--bptt", "4", "--json", str(out)]) == 0
    assert "test ppl" in capsys.readouterr().out
    import json
    assert json.loads(out.read_text())["eval_split"] == "test"
