"""The LSTM sequence-classifier example (MNIST rows) trains: a short run on a subset."""
import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_lstm_mnist_rows_example_learns():
    spec = importlib.util.spec_from_file_location("lstm_mnist_rows", ROOT / "examples" / "lstm_mnist_rows.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    acc = mod.main(epochs=2, limit_train=2048, limit_test=500, hidden=48)
    assert acc > 0.4   # chance is 0.1; the full example reaches ~97%
