"""Language models for the text recipes, written against a library's ``nn`` so the same
definition builds an ember model or (for side-by-side comparisons) a PyTorch one."""

__all__ = ["rnn_language_model", "RNNLanguageModel"]


def rnn_language_model(nn, ntoken, ninp=200, nhid=200, nlayers=2, dropout=0.2, tie_weights=False,
                       rnn_type="LSTM"):
    """An embedding -> recurrent layers -> linear decoder language model (PyTorch's
    word-language-model example), built from ``nn`` (``ember.nn`` or ``torch.nn``).

    Args:
        nn: the ``nn`` module of the library to build with.
        ntoken (int): vocabulary size. ninp (int): embedding size. nhid (int): hidden size.
        nlayers (int): recurrent layers. dropout (float): on embeddings, between layers
            and on the outputs. tie_weights (bool): the decoder shares the embedding's
            weight (needs ``nhid == ninp``). rnn_type (str): ``"LSTM"``, ``"GRU"``,
            ``"RNN_TANH"`` or ``"RNN_RELU"``.

    The model's ``forward(input (L, B), hidden) -> (logits (L * B, ntoken), hidden)``;
    ``init_hidden(batch_size)`` gives the zero state. Weights: embedding and decoder
    ``U(-0.1, 0.1)``, decoder bias 0, recurrent layers as the library initialises them.
    """
    if tie_weights and nhid != ninp:
        raise ValueError("When using the tied flag, nhid must be equal to emsize")

    class LanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.ntoken, self.nhid, self.nlayers, self.rnn_type = ntoken, nhid, nlayers, rnn_type
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(ntoken, ninp)
            if rnn_type in ("LSTM", "GRU"):
                self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout if nlayers > 1 else 0.0)
            else:
                act = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
                self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=act,
                                  dropout=dropout if nlayers > 1 else 0.0)
            self.decoder = nn.Linear(nhid, ntoken)
            if tie_weights:
                self.decoder.weight = self.encoder.weight
            nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            return self.decoder(output).reshape(-1, self.ntoken), hidden

        def init_hidden(self, batch_size):
            w = self.decoder.bias
            z = w.new_zeros((self.nlayers, batch_size, self.nhid))
            return (z, w.new_zeros((self.nlayers, batch_size, self.nhid))) if self.rnn_type == "LSTM" else z

    return LanguageModel()


def RNNLanguageModel(ntoken, ninp=200, nhid=200, nlayers=2, dropout=0.2, tie_weights=False, rnn_type="LSTM"):
    """``rnn_language_model`` built with ``ember.nn``.

    Example:
        >>> model = RNNLanguageModel(1000, 64, 64, tie_weights=True)
        >>> logits, h = model(ember.zeros(35, 4, dtype=ember.int64), model.init_hidden(4))
        >>> logits.shape
        ember.Size([140, 1000])
    """
    from .. import nn
    return rnn_language_model(nn, ntoken, ninp, nhid, nlayers, dropout, tie_weights, rnn_type)
