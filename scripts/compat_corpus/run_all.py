"""Run every corpus script in this folder in one process; print one JSON line of results.

    python scripts/compat_corpus/run_all.py                  # with PyTorch
    python -m ember.compat scripts/compat_corpus/run_all.py  # the same scripts on ember

Each script runs with runpy as ``__main__`` in a fresh temporary working directory;
its ``RESULT ...`` lines (or its exception) are collected per script.
"""
import contextlib
import io
import json
import os
import runpy
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def scripts():
    return sorted(f for f in os.listdir(HERE) if f.endswith(".py") and f != "run_all.py")


def run(name):
    out = io.StringIO()
    cwd = os.getcwd()
    try:
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(out):
            os.chdir(tmp)
            sys.argv = [name]
            runpy.run_path(os.path.join(HERE, name), run_name="__main__")
        error = None
    except BaseException as e:  # noqa: BLE001 - report every failure, keep going
        error = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=4)}"
    finally:
        os.chdir(cwd)
    results = [ln[len("RESULT "):] for ln in out.getvalue().splitlines() if ln.startswith("RESULT ")]
    return {"results": results, "error": error}


if __name__ == "__main__":
    only = sys.argv[1:]
    report = {name: run(name) for name in scripts() if not only or name in only}
    print(json.dumps(report))
