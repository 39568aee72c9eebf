"""The benchmark workloads. Each ``build_<name>(lib)`` returns a zero-argument step
function for ``lib`` in ('ember', 'torch'), built from the same seeded data and the same
initial weights (PyTorch's init, loaded into ember through its state_dict)."""
import functools
import importlib

import numpy as np

from . import models


def _lib(name):
    return importlib.import_module(name)


def _same_weights(torch_model, ember_model):
    ember_model.load_state_dict({k: v.detach().numpy().copy() for k, v in torch_model.state_dict().items()})


def _model(lib_name, builder, seed=0):
    import torch
    torch.manual_seed(seed)
    tm = builder(torch.nn)
    if lib_name == "torch":
        return tm
    import ember
    em = builder(ember.nn)
    _same_weights(tm, em)
    return em


def _train_step(lib_name, builder, x, y, loss="ce", opt="sgd", lr=0.01, seed=0, momentum=0.0):
    lib = _lib(lib_name)
    model = _model(lib_name, builder, seed)
    model.train()
    X = lib.from_numpy(x.copy())
    Y = lib.from_numpy(y.copy())
    optimizer = (lib.optim.SGD(model.parameters(), lr=lr, momentum=momentum) if opt == "sgd"
                 else lib.optim.Adam(model.parameters(), lr=lr))
    loss_fn = lib.nn.CrossEntropyLoss() if loss == "ce" else lib.nn.MSELoss()

    def step():
        optimizer.zero_grad()
        out = loss_fn(model(X), Y)
        out.backward()
        optimizer.step()
    return step


def _rng():
    return np.random.default_rng(0)


def build_tiny_chain(lib_name):
    """A 3-op scalar forward + backward: the fixed per-op and per-backward overhead."""
    lib = _lib(lib_name)
    x = lib.tensor(0.5, requires_grad=True)
    w = lib.tensor(1.5, requires_grad=True)

    def step():
        y = (x * w + 1.0).tanh()
        y.backward()
    return step


def build_chain3(lib_name):
    """``(x*y + x).sum().backward()`` on 1-element tensors: three ops and their backward."""
    lib = _lib(lib_name)
    x = lib.tensor([0.5], requires_grad=True)
    y = lib.tensor([1.5], requires_grad=True)

    def step():
        (x * y + x).sum().backward()
    return step


def build_chain10(lib_name):
    """Ten elementwise/reduction ops on 100-element tensors, forward + backward."""
    lib = _lib(lib_name)
    r = _rng()
    x = lib.from_numpy(r.standard_normal(100, dtype=np.float32)).requires_grad_()
    w = lib.from_numpy(r.standard_normal(100, dtype=np.float32)).requires_grad_()

    def step():
        h = (x * w + 1.0).tanh()              # mul, add, tanh
        h = h.exp() - x.sigmoid()             # exp, sigmoid, sub
        h = (h * h).relu() / 2.0              # mul, relu, div
        (h.mean() + h.max()).backward()       # mean, max (+ the add)
    return step


def build_two_layer(lib_name):
    """The lectures' two-layer net: batch 64, 1000 -> 100 -> 10, ReLU, squared error, SGD."""
    r = _rng()
    x = r.standard_normal((64, 1000), dtype=np.float32)
    y = r.standard_normal((64, 10), dtype=np.float32)
    return _train_step(lib_name, models.two_layer, x, y, loss="mse", lr=1e-4)


def build_mlp(lib_name):
    """MLP 784-512-256-10, batch 128, SGD."""
    r = _rng()
    x = r.standard_normal((128, 784), dtype=np.float32)
    y = r.integers(0, 10, 128)
    return _train_step(lib_name, models.mlp, x, y)


def build_cnn(lib_name):
    """2-conv + BN CNN on 28x28, batch 128, Adam."""
    r = _rng()
    x = r.standard_normal((128, 1, 28, 28), dtype=np.float32)
    y = r.integers(0, 10, 128)
    return _train_step(lib_name, models.cnn, x, y, opt="adam", lr=1e-3)


def build_cifar10(lib_name, batch=32):
    """The CIFAR-10 recipe's 8-conv network, batch 32, SGD momentum."""
    r = _rng()
    x = r.standard_normal((batch, 3, 32, 32), dtype=np.float32)
    y = r.integers(0, 10, batch)
    return _train_step(lib_name, models.cifar10, x, y, momentum=0.9)


def build_resnet18(lib_name, batch=16):
    """ResNet-18 on 32x32 (CIFAR-100 head), batch 16, SGD."""
    r = _rng()
    x = r.standard_normal((batch, 3, 32, 32), dtype=np.float32)
    y = r.integers(0, 100, batch)
    return _train_step(lib_name, models.resnet18, x, y)


def build_lstm(lib_name):
    """2-layer LSTM 256, seq 64, batch 32: forward, mean square of the last output, backward, Adam."""
    return _recurrent_step(lib_name, lambda nn: nn.LSTM(128, 256, num_layers=2))


def build_gru(lib_name):
    """2-layer GRU 256, seq 64, batch 32: the lstm workload's step with nn.GRU."""
    return _recurrent_step(lib_name, lambda nn: nn.GRU(128, 256, num_layers=2))


def build_rnn_tanh(lib_name):
    """2-layer Elman RNN (tanh) 256, seq 64, batch 32: the lstm workload's step with nn.RNN."""
    return _recurrent_step(lib_name, lambda nn: nn.RNN(128, 256, num_layers=2))


def _recurrent_step(lib_name, builder):
    """A (64, 32, 128) input through ``builder(nn)``, mean square of the last output,
    backward, Adam."""
    lib = _lib(lib_name)
    r = _rng()
    x = r.standard_normal((64, 32, 128), dtype=np.float32)
    model = _model(lib_name, builder)
    X = lib.from_numpy(x)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        out, _ = model(X)
        (out[-1] ** 2).mean().backward()
        opt.step()
    return step


_SHAPES_10M = [(4096, 1024), (1024, 4096), (1024, 1024), (1024, 512), (512,), (1024,)]


def _opt_step(lib_name, name, kw):
    lib = _lib(lib_name)
    r = _rng()
    params = []
    for s in _SHAPES_10M:
        p = lib.from_numpy((r.standard_normal(s, dtype=np.float32) * 0.02)).requires_grad_()
        p.grad = lib.from_numpy(r.standard_normal(s, dtype=np.float32) * 0.01)
        params.append(p)
    opt = getattr(lib.optim, name)(params, **kw)
    return opt.step


def build_adam_10m(lib_name):
    """Adam step on 10.5M float32 parameters (gradients fixed)."""
    return _opt_step(lib_name, "Adam", dict(lr=1e-3))


def build_sgd_10m(lib_name):
    """SGD with momentum 0.9 on 10.5M parameters."""
    return _opt_step(lib_name, "SGD", dict(lr=0.01, momentum=0.9))


def _fwd_bwd(lib_name, shapes, fn, int_inputs=None, seed=0):
    """Forward + backward of ``fn(F, *tensors)`` on seeded float32 inputs (all requiring grad)."""
    lib = _lib(lib_name)
    r = np.random.default_rng(seed)
    ts = [lib.from_numpy(r.standard_normal(s, dtype=np.float32) * 0.1).requires_grad_() for s in shapes]
    extra = [lib.from_numpy(a) for a in (int_inputs or [])]
    F = lib.nn.functional

    def step():
        for t in ts:
            t.grad = None
        fn(F, *ts, *extra).sum().backward()
    return step


def build_conv2d(lib_name):
    """conv2d fwd+bwd: batch 64, 64->64 channels, 16x16, 3x3, padding 1."""
    return _fwd_bwd(lib_name, [(64, 64, 16, 16), (64, 64, 3, 3)], lambda F, x, w: F.conv2d(x, w, padding=1))


def build_conv2d_k5(lib_name):
    """conv2d fwd+bwd: batch 128, 1->32 channels, 28x28, 5x5 (an MNIST first layer)."""
    return _fwd_bwd(lib_name, [(128, 1, 28, 28), (32, 1, 5, 5)], lambda F, x, w: F.conv2d(x, w))


def build_conv2d_s2(lib_name):
    """conv2d fwd+bwd: batch 128, 32->64 channels, 14x14, 3x3, stride 2, padding 1."""
    return _fwd_bwd(lib_name, [(128, 32, 14, 14), (64, 32, 3, 3)],
                    lambda F, x, w: F.conv2d(x, w, stride=2, padding=1))


def build_conv_transpose2d(lib_name):
    """conv_transpose2d fwd+bwd: batch 64, 64->32 channels, 8x8 -> 16x16 (k4 s2 p1)."""
    return _fwd_bwd(lib_name, [(64, 64, 8, 8), (64, 32, 4, 4)],
                    lambda F, x, w: F.conv_transpose2d(x, w, stride=2, padding=1))


def build_maxpool2d(lib_name):
    """max_pool2d 2x2 fwd+bwd on 128x32x28x28."""
    return _fwd_bwd(lib_name, [(128, 32, 28, 28)], lambda F, x: F.max_pool2d(x, 2))


def build_maxpool2d_overlap(lib_name):
    """max_pool2d 3x3 stride 2 padding 1 fwd+bwd on 64x64x32x32 (overlapping windows)."""
    return _fwd_bwd(lib_name, [(64, 64, 32, 32)], lambda F, x: F.max_pool2d(x, 3, 2, 1))


def build_batchnorm2d(lib_name):
    """batch_norm (training) fwd+bwd on 128x64x16x16 with affine parameters."""
    return _fwd_bwd(lib_name, [(128, 64, 16, 16), (64,), (64,)],
                    lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True))


def build_cross_entropy(lib_name):
    """cross_entropy fwd+bwd, batch 128, 1000 classes."""
    y = np.random.default_rng(1).integers(0, 1000, 128)
    return _fwd_bwd(lib_name, [(128, 1000)], lambda F, x, t: F.cross_entropy(x, t), int_inputs=[y])


def build_dataloader(lib_name):
    """One pass of 20 batches of 128 CIFAR-sized uint8 images through RandomCrop(pad 4) +
    flip + ToTensor + Normalize, num_workers=0 (ember only: torchvision can't be installed
    beside torch 2.13 here)."""
    if lib_name != "ember":
        return None
    import ember
    from ember.utils.data import DataLoader, Dataset
    from ember.vision import transforms as T
    r = _rng()
    imgs = r.integers(0, 256, (128 * 20, 32, 32, 3), dtype=np.uint8)
    tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])

    class DS(Dataset):
        def __len__(self):
            return len(imgs)

        def __getitem__(self, i):
            return tf(imgs[i]), 0
    loader = DataLoader(DS(), batch_size=128, shuffle=True)

    def step():
        for _ in loader:
            pass
    return step


def build_cifar10_b64(lib_name):
    """The CIFAR-10 recipe's network, batch 64, SGD momentum."""
    return build_cifar10(lib_name, batch=64)


def build_cifar10_b128(lib_name):
    """The CIFAR-10 recipe's network, batch 128, SGD momentum."""
    return build_cifar10(lib_name, batch=128)


def build_resnet18_b32(lib_name):
    """ResNet-18 on 32x32 (CIFAR-100 head), batch 32, SGD."""
    return build_resnet18(lib_name, batch=32)


EPOCH_SAMPLES_ENV = "EMBER_BENCH_EPOCH_SAMPLES"   # `python -m benchmarks --samples N` sets it


def _fashion_folder():
    """Where Fashion-MNIST's training files are: ``$EMBER_DATA/FashionMNIST/raw``,
    ``~/.cache/ember/data/FashionMNIST/raw``, then Debian's dataset-fashion-mnist."""
    import os
    roots = [os.environ.get("EMBER_DATA"), os.path.expanduser("~/.cache/ember/data")]
    folders = [os.path.join(r, "FashionMNIST", "raw") for r in roots if r]
    folders.append("/usr/share/datasets/fashion-mnist")
    for f in folders:
        if any(os.path.isfile(os.path.join(f, "train-images-idx3-ubyte" + ext)) for ext in ("", ".gz")):
            return f
    raise FileNotFoundError("the fashion epoch workloads need Fashion-MNIST: Debian's "
                            "dataset-fashion-mnist, or the idx files in $EMBER_DATA/FashionMNIST/raw")


def _read_idx(folder, name):
    import gzip
    import os
    path = os.path.join(folder, name)
    opener = open if os.path.isfile(path) else gzip.open
    with opener(path if opener is open else path + ".gz", "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = np.frombuffer(raw, ">u4", ndim, 4).astype(int)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion_train_arrays(samples=None):
    """The first ``samples`` (default ``$EMBER_BENCH_EPOCH_SAMPLES``, else all 60,000)
    Fashion-MNIST training images, normalised as the recipes do, and their labels; read
    with NumPy alone, so the PyTorch process never imports ember. Read once per process
    (``benchmarks.memory`` reads them before its measurement: the peak is training's)."""
    import os
    if samples is None:
        samples = int(os.environ.get(EPOCH_SAMPLES_ENV) or 0) or None
    return _fashion_arrays(samples)


@functools.lru_cache(maxsize=2)
def _fashion_arrays(samples):
    folder = _fashion_folder()
    images = _read_idx(folder, "train-images-idx3-ubyte")[:samples]
    labels = _read_idx(folder, "train-labels-idx1-ubyte")[:samples].astype(np.int64)
    x = (images.astype(np.float32)[:, None] / np.float32(255.0) - np.float32(0.2860)) / np.float32(0.3530)
    return x, labels


def _fashion_epoch(lib_name, builder):
    """One epoch of a fashion recipe's network (batch 128, Adam), with each library's own
    DataLoader (shuffled) over in-memory tensors and a ``loss.item()`` per step, as a
    training loop logs its loss: data loading included."""
    lib = _lib(lib_name)
    x, y = fashion_train_arrays()
    model = _model(lib_name, builder)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    data = lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y))
    loader = lib.utils.data.DataLoader(data, batch_size=128, shuffle=True)
    loss_fn = lib.nn.CrossEntropyLoss()

    def epoch():
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
        return total
    return epoch


def build_fashion_epoch(lib_name):
    """One epoch of the fashion-cnn network on Fashion-MNIST (60k, or --samples N), batch
    128, Adam, data loading included; needs the data (Debian's dataset-fashion-mnist or
    $EMBER_DATA). Slow: run it by name."""
    return _fashion_epoch(lib_name, models.fashion_cnn)


def build_fashion_mlp_epoch(lib_name):
    """One epoch of the fashion-mlp network (784-512-256-10, dropout) on Fashion-MNIST (60k,
    or --samples N), batch 128, Adam, data loading included. Run it by name."""
    return _fashion_epoch(lib_name, models.fashion_mlp)


WORKLOADS = {
    "tiny_chain": build_tiny_chain,
    "chain3": build_chain3,
    "chain10": build_chain10,
    "two_layer": build_two_layer,
    "mlp": build_mlp,
    "cnn": build_cnn,
    "cifar10": build_cifar10,
    "cifar10_b64": build_cifar10_b64,
    "cifar10_b128": build_cifar10_b128,
    "resnet18": build_resnet18,
    "resnet18_b32": build_resnet18_b32,
    "lstm": build_lstm,
    "gru": build_gru,
    "rnn_tanh": build_rnn_tanh,
    "adam_10m": build_adam_10m,
    "sgd_10m": build_sgd_10m,
    "conv2d": build_conv2d,
    "conv2d_k5": build_conv2d_k5,
    "conv2d_s2": build_conv2d_s2,
    "conv_transpose2d": build_conv_transpose2d,
    "maxpool2d": build_maxpool2d,
    "maxpool2d_overlap": build_maxpool2d_overlap,
    "batchnorm2d": build_batchnorm2d,
    "cross_entropy": build_cross_entropy,
    "dataloader": build_dataloader,
    "fashion_epoch": build_fashion_epoch,
    "fashion_mlp_epoch": build_fashion_mlp_epoch,
}
# repeats per workload (slow ones fewer) and the inner-loop floor for fast ones
SETTINGS = {"tiny_chain": dict(repeats=30, min_time=0.02), "two_layer": dict(repeats=30, min_time=0.02),
            "chain3": dict(repeats=30, min_time=0.02), "chain10": dict(repeats=30, min_time=0.02),
            "cifar10_b64": dict(repeats=5, warmup=1), "cifar10_b128": dict(repeats=3, warmup=1),
            "resnet18_b32": dict(repeats=3, warmup=1),
            "mlp": dict(repeats=20), "cnn": dict(repeats=10), "cifar10": dict(repeats=5, warmup=1),
            "resnet18": dict(repeats=3, warmup=1), "lstm": dict(repeats=5, warmup=1),
            "gru": dict(repeats=5, warmup=1), "rnn_tanh": dict(repeats=10, warmup=1),
            "adam_10m": dict(repeats=15), "sgd_10m": dict(repeats=15), "conv2d": dict(repeats=10),
            "conv2d_k5": dict(repeats=10), "conv2d_s2": dict(repeats=10), "conv_transpose2d": dict(repeats=10),
            "maxpool2d": dict(repeats=10), "maxpool2d_overlap": dict(repeats=10), "batchnorm2d": dict(repeats=10),
            "cross_entropy": dict(repeats=30, min_time=0.02),
            "dataloader": dict(repeats=3, warmup=1), "fashion_epoch": dict(repeats=1, warmup=0),
            "fashion_mlp_epoch": dict(repeats=1, warmup=0)}
DEFAULT = ["tiny_chain", "chain3", "chain10", "two_layer", "mlp", "cnn", "cifar10_b64", "cifar10_b128",
           "resnet18_b32", "lstm", "adam_10m", "sgd_10m",
           "conv2d", "conv2d_k5", "conv2d_s2", "conv_transpose2d", "maxpool2d", "maxpool2d_overlap",
           "batchnorm2d", "cross_entropy", "dataloader"]
