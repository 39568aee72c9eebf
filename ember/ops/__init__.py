"""ember's ops: one ``Op`` subclass per op, grouped by family (see docs/internals.md)."""
