"""``ember.text``: tokenizers, vocabularies, language-model corpora (WikiText-2, word
and character corpora), BPTT batching, language models and their recipes.

Example:
    >>> from ember.text import get_tokenizer, build_vocab_from_iterator
    >>> tok = get_tokenizer("basic_english")
    >>> vocab = build_vocab_from_iterator([tok("The cat sat.")], specials=["<unk>"])
    >>> vocab(tok("the dog"))          # unknown words need vocab.set_default_index(0)
"""
from .tokenizer import get_tokenizer, basic_english  # noqa: F401
from .vocab import Vocab, build_vocab_from_iterator  # noqa: F401
from .datasets import WikiText2, WordCorpus, CharCorpus, batchify, get_batch, BPTTIterator  # noqa: F401
from .models import RNNLanguageModel, rnn_language_model  # noqa: F401
