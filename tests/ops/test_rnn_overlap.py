"""ember.ops._rnn_overlap: the chunks of steps a recurrent layer's large GEMMs run in, and
when they run beside the recurrence (the results themselves are checked bitwise in
tests/nn/test_rnn.py)."""
import numpy as np

from ember.ops import _rnn_overlap as O


def test_chunks_follow_the_visit_order_of_a_packed_layout():
    bs = [3, 3, 2, 1]                       # packed: 9 rows, steps at rows 0, 3, 6, 8
    offs = [0, 3, 6, 8]
    old = O._CHUNK_ROWS
    try:
        O._CHUNK_ROWS = 6                   # 2 steps a chunk (6 rows / 3 per step)
        per, fwd = O.chunks(bs, offs, range(4))
        assert per == 2 and fwd == [(2, 0, 6), (4, 6, 9)]
        per, rev = O.chunks(bs, offs, range(3, -1, -1))   # a backward visit (or reverse direction)
        assert rev == [(2, 6, 9), (4, 0, 6)]
    finally:
        O._CHUNK_ROWS = old


def test_the_benchmark_layers_overlap_and_small_ones_do_not(monkeypatch):
    monkeypatch.setattr(O, "_threads", lambda: 2)
    # 2-layer LSTM/GRU/RNN 256, seq 64, batch 32: 8 chunks of 8 steps
    _, ch = O.chunks([32] * 64, list(range(0, 2048, 32)), range(64))
    assert len(ch) == 8
    for g in (4, 3, 1):
        assert O.overlapped(np, 32, g * 256 * 256, len(ch))
    assert not O.overlapped(np, 32, 4 * 16 * 16, len(ch))      # too little work
    assert not O.overlapped(np, 32, 4 * 256 * 256, 1)          # one chunk (a cell's step)
    assert not O.overlapped(np, 256, 4 * 256 * 256, 8)         # the batch itself is split
    monkeypatch.setattr(O, "_threads", lambda: 1)
    assert O.overlapped(np, 256, 4 * 256 * 256, 8)   # one thread: no batch split (chunks in turn)
