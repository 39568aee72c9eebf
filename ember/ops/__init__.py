"""ember's ops: one ``Function`` subclass per op, grouped by family (see docs/internals.md)."""
