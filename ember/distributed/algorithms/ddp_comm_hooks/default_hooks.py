"""PyTorch's default DDP communication hooks.

A hook ``hook(state, bucket) -> Future`` replaces DDP's averaging of one bucket: it
returns a future whose value is the bucket's flat gradient tensor, already averaged
over the ranks. Register it with ``ddp.register_comm_hook(state, hook)``; ``state`` is
passed back to the hook (these hooks take the process group, or None for the world).

Example:
    >>> from ember.distributed.algorithms.ddp_comm_hooks import default_hooks
    >>> ddp.register_comm_hook(None, default_hooks.fp16_compress_hook)
"""
import ember
from ... import collectives
from ...distributed_c10d import resolve

__all__ = ["allreduce_hook", "fp16_compress_hook", "bf16_compress_hook"]


def allreduce_hook(process_group, bucket):
    """Average the bucket over the ranks (DDP's default behaviour)."""
    pg = resolve(process_group, "allreduce_hook")
    buf = bucket.buffer()
    buf.div_(pg.size())
    return collectives.all_reduce(buf, group=pg, async_op=True).get_future().then(
        lambda fut: fut.value()[0])


def fp16_compress_hook(process_group, bucket):
    """Average in float16 (half the bytes on the wire), then back to the bucket's dtype."""
    pg = resolve(process_group, "fp16_compress_hook")
    buf = bucket.buffer()
    compressed = (buf / pg.size()).to(ember.float16)
    fut = collectives.all_reduce(compressed, group=pg, async_op=True).get_future()

    def decompress(f):
        buf.copy_(f.value()[0])
        return buf
    return fut.then(decompress)


def bf16_compress_hook(process_group, bucket):
    """ember has no bfloat16 dtype: rejected with an explicit error."""
    raise NotImplementedError("bf16_compress_hook: ember has no bfloat16 dtype; use "
                              "fp16_compress_hook")
