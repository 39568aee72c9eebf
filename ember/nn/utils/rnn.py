"""Variable-length sequences for the recurrent layers: PyTorch's packed layout.

A ``PackedSequence`` stores a batch of sequences sorted by decreasing length, one time
step after another: ``data`` is ``(sum(lengths), *)`` and ``batch_sizes[t]`` says how
many sequences are still running at step ``t``. ``nn.RNN``/``LSTM``/``GRU`` accept it
and run each sequence only over its own length. Packing and padding are gathers
(``index_select``), so gradients flow through them.

Example:
    >>> seqs = [ember.ones(3, 2), ember.ones(1, 2)]
    >>> padded = pad_sequence(seqs)                         # (3, 2, 2)
    >>> packed = pack_padded_sequence(padded, [3, 1])
    >>> packed.batch_sizes
    tensor([2, 1, 1])
    >>> out, lengths = pad_packed_sequence(packed)          # back to (3, 2, 2), [3, 1]
"""
from collections import namedtuple

import numpy as np

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"]


def _ember():
    import ember
    return ember


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices",
                                                   "unsorted_indices"])):
    """A packed batch of variable-length sequences (build it with ``pack_padded_sequence``
    or ``pack_sequence``, not directly).

    Attributes:
        data (Tensor): ``(sum of lengths, *)``, the steps of all sequences, step by step.
        batch_sizes (Tensor): int64 ``(max length,)``, sequences running at each step.
        sorted_indices (Tensor or None): the batch order used to pack (longest first).
        unsorted_indices (Tensor or None): its inverse, restoring the caller's order.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        ember = _ember()
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise ValueError("PackedSequence: batch_sizes must be given (use pack_padded_sequence "
                             "or pack_sequence to build one)")
        if not isinstance(batch_sizes, ember.Tensor):
            batch_sizes = ember.tensor(np.asarray(batch_sizes, dtype=np.int64))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _map(self, fn):
        """Apply ``fn`` to the data only (dtype/device conversions)."""
        return type(self)(fn(self.data), self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._map(lambda d: data)

    def float(self):
        return self._map(lambda d: d.float())

    def double(self):
        return self._map(lambda d: d.double())

    def cpu(self):
        return self

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The inverse of an index permutation (None stays None)."""
    if permutation is None:
        return None
    ember = _ember()
    p = permutation.cpu().numpy() if isinstance(permutation, ember.Tensor) else np.asarray(permutation)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=p.dtype)
    return ember.tensor(inv.astype(np.int64))


def _lengths_array(lengths):
    ember = _ember()
    if isinstance(lengths, ember.Tensor):
        lengths = lengths.numpy()
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences
    with the given lengths.

    Args:
        input (Tensor): the padded batch.
        lengths (Tensor or list of int): each sequence's length (on the CPU).
        batch_first (bool): the batch is dimension 0.
        enforce_sorted (bool): require lengths in decreasing order; with False the batch
            is sorted here and ``unsorted_indices`` restores the order afterwards.

    Returns:
        PackedSequence.
    """
    ember = _ember()
    lens = _lengths_array(lengths)
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                "to sidestep this requirement if you do not need ONNX exportability.")
        order = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
    if lens.size == 0 or lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in "
                           "'lengths' that is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    T, B = input.shape[0], input.shape[1]
    if lens.size != B:
        raise RuntimeError(f"pack_padded_sequence: got {lens.size} lengths for a batch of {B} sequences")
    if lens[0] > T:
        raise RuntimeError(f"pack_padded_sequence: a length of {lens[0]} exceeds the padded length {T}")
    batch_sizes = (lens[None, :] > np.arange(lens[0])[:, None]).sum(1)
    cols = order if order is not None else np.arange(B)
    # row t*B + cols[b] of the flattened (T*B, *) batch, for each active (t, b), step by step
    idx = np.concatenate([t * B + cols[:n] for t, n in enumerate(batch_sizes)])
    flat = input.reshape((T * B,) + tuple(input.shape[2:]))
    data = ember.index_select(flat, 0, ember.tensor(idx.astype(np.int64), device=flat.device))
    sorted_indices = None if order is None else ember.tensor(order.astype(np.int64))
    return PackedSequence(data, ember.tensor(batch_sizes.astype(np.int64)), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: returns ``(padded, lengths)`` in the caller's batch
    order; ``padded`` is ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) filled with
    ``padding_value`` past each length; ``total_length`` pads ``T`` further."""
    ember = _ember()
    data, batch_sizes = sequence.data, sequence.batch_sizes.numpy().astype(np.int64)
    T, B = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < T:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, "
                f"but got total_length={total_length} and max sequence length being {T}")
        T_out = total_length
    else:
        T_out = T
    n = data.shape[0]
    # each (t, b) slot of the padded (T_out, B) grid reads data row offs[t] + b, or the
    # padding row n appended below
    idx = np.full((T_out, B), n, dtype=np.int64)
    offs = np.concatenate(([0], np.cumsum(batch_sizes)[:-1]))
    for t in range(T):
        idx[t, :batch_sizes[t]] = offs[t] + np.arange(batch_sizes[t])
    lengths = (batch_sizes[None, :] > np.arange(B)[:, None]).sum(1)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        u = unsorted.cpu().numpy()
        idx = idx[:, u]
        lengths = lengths[u]
    feat = tuple(data.shape[1:])
    pad = ember.full((1,) + feat, padding_value, dtype=data.dtype, device=data.device)
    src = ember.cat([data, pad])
    out = ember.index_select(src, 0, ember.tensor(idx.reshape(-1), device=src.device)).reshape((T_out, B) + feat)
    if batch_first:
        out = out.transpose(0, 1)
    return out, ember.tensor(lengths.astype(np.int64))


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors ``(L_i, *)`` of different lengths into ``(max L, B, *)`` (``(B, max
    L, *)`` with ``batch_first``), filling with ``padding_value`` on ``padding_side``."""
    ember = _ember()
    if padding_side not in ("right", "left"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, ember.Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    T = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        short = T - s.shape[0]
        if short:
            pad = ember.full((short,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype)
            s = ember.cat([s, pad] if padding_side == "right" else [pad, s])
        rows.append(s)
    return ember.stack(rows, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors ``(L_i, *)`` (longest first unless ``enforce_sorted=False``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of tensors of the given lengths."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, _lengths_array(lengths))]


def unpack_sequence(packed_sequences):
    """Split a PackedSequence back into a list of tensors (the caller's order)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
