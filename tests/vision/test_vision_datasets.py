"""Tests of ember.vision.datasets: IDX and CIFAR binary readers, downloads from a
local HTTP server (checksums, atomic writes, offline errors), Debian's
Fashion-MNIST files."""
import gzip
import hashlib
import http.server
import io
import os
import tarfile
import threading

import numpy as np
import pytest

import ember
from ember.vision import datasets, transforms
from ember.vision.datasets import (CIFAR10, CIFAR100, MNIST, ChecksumError,
                                   CorruptFileError, DatasetError, DownloadError,
                                   FashionMNIST)
from ember.vision.datasets.utils import default_root, extract_tar_members, read_idx


# ------------------------------------------------------------------ file makers
def idx_bytes(arr):
    arr = np.asarray(arr, dtype=np.uint8)
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.tobytes()


def mnist_arrays(n, seed):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, size=n).astype(np.uint8))


def mnist_files(n_train=5, n_test=3):
    """{filename.gz: bytes} of a small MNIST in the official format."""
    tr_x, tr_y = mnist_arrays(n_train, 1)
    te_x, te_y = mnist_arrays(n_test, 2)
    raw = {"train-images-idx3-ubyte": idx_bytes(tr_x), "train-labels-idx1-ubyte": idx_bytes(tr_y),
           "t10k-images-idx3-ubyte": idx_bytes(te_x), "t10k-labels-idx1-ubyte": idx_bytes(te_y)}
    files = {k + ".gz": gzip.compress(v, mtime=0) for k, v in raw.items()}
    return files, (tr_x, tr_y, te_x, te_y)


def md5(b):
    return hashlib.md5(b).hexdigest()


def cifar_records(n, label_bytes, seed):
    rng = np.random.default_rng(seed)
    imgs = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    if label_bytes == 1:
        labels = rng.integers(0, 10, size=(n, 1)).astype(np.uint8)
    else:
        labels = np.stack([rng.integers(0, 20, size=n), rng.integers(0, 100, size=n)], 1).astype(np.uint8)
    planes = imgs.transpose(0, 3, 1, 2).reshape(n, -1)  # R plane, G plane, B plane
    return np.concatenate([labels, planes], 1).tobytes(), imgs, labels


def make_tar(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def cifar10_archive():
    members, truth = {}, {}
    for i, name in enumerate([f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]):
        data, imgs, labels = cifar_records(2, 1, seed=i)
        members["cifar-10-batches-bin/" + name] = data
        truth[name] = (imgs, labels)
    members["cifar-10-batches-bin/batches.meta.txt"] = "\n".join(
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
         "truck"]).encode() + b"\n\n"
    members["../evil.txt"] = b"must not be extracted"
    return make_tar(members), truth


# --------------------------------------------------------------- local server
class _Handler(http.server.BaseHTTPRequestHandler):
    files = {}

    def do_GET(self):  # noqa: N802
        name = self.path.lstrip("/")
        if name.startswith("truncated/"):
            data = self.files.get(name[len("truncated/"):], b"")
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if name not in self.files:
            self.send_error(404)
            return
        data = self.files[name]
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """(base_url, files dict) of an HTTP server on 127.0.0.1 serving `files`."""
    files = {}
    handler = type("H", (_Handler,), {"files": files})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", files
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


DEAD = "http://127.0.0.1:9/"  # the discard port: connection refused


def leftovers(folder):
    out = []
    for dirpath, _, names in os.walk(folder):
        out += [os.path.join(dirpath, n) for n in names if n.endswith(".part")]
    return out


# --------------------------------------------------------------------------- IDX
def test_read_idx_plain_gzip_and_errors(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(idx_bytes(arr))
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(arr)))
    np.testing.assert_array_equal(read_idx(str(tmp_path / "a")), arr)
    np.testing.assert_array_equal(read_idx(str(tmp_path / "a.gz"), 3), arr)
    with pytest.raises(CorruptFileError, match="dimension"):
        read_idx(str(tmp_path / "a"), 1)
    (tmp_path / "t").write_bytes(idx_bytes(arr)[:-5])
    with pytest.raises(CorruptFileError, match="truncated"):
        read_idx(str(tmp_path / "t"))
    (tmp_path / "m").write_bytes(b"\x01\x02\x08\x01" + bytes(8))
    with pytest.raises(CorruptFileError, match="magic"):
        read_idx(str(tmp_path / "m"))
    (tmp_path / "g.gz").write_bytes(gzip.compress(idx_bytes(arr))[:-10])
    with pytest.raises(CorruptFileError):
        read_idx(str(tmp_path / "g.gz"))


def test_default_root(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBER_DATA", str(tmp_path))
    assert default_root() == str(tmp_path)
    monkeypatch.delenv("EMBER_DATA")
    assert default_root().endswith(os.path.join(".cache", "ember", "data"))


# ------------------------------------------------------------------------- MNIST
def write_mnist(folder, gz=True):
    files, truth = mnist_files()
    os.makedirs(folder, exist_ok=True)
    for name, data in files.items():
        if gz:
            (folder / name).write_bytes(data)
        else:
            (folder / name[:-3]).write_bytes(gzip.decompress(data))
    return truth


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_torchvision_layout(tmp_path, gz):
    tr_x, tr_y, te_x, te_y = write_mnist(tmp_path / "MNIST" / "raw", gz)
    ds = MNIST(tmp_path, train=True)
    assert len(ds) == 5
    img, label = ds[3]
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
    assert type(label) is int and label == int(tr_y[3])
    np.testing.assert_array_equal(img, tr_x[3])
    assert ds.data.shape == (5, 28, 28) and ds.targets.dtype == ember.int64
    test = MNIST(str(tmp_path), train=False, transform=transforms.ToTensor(),
                 target_transform=lambda y: y + 100)
    x, y = test[0]
    assert x.shape == (1, 28, 28) and y == int(te_y[0]) + 100
    assert "Split: Test" in repr(test)


def test_mnist_missing_and_default_root(tmp_path, monkeypatch):
    with pytest.raises(DatasetError, match="download=True"):
        MNIST(tmp_path)
    monkeypatch.setenv("EMBER_DATA", str(tmp_path))
    write_mnist(tmp_path / "MNIST" / "raw")
    assert len(MNIST()) == 5


def test_mnist_download_with_mirror_fallback(tmp_path, server, monkeypatch):
    url, served = server
    files, truth = mnist_files()
    served.update(files)
    monkeypatch.setattr(MNIST, "mirrors", [DEAD, url])
    monkeypatch.setattr(MNIST, "resources", [(k, md5(v)) for k, v in files.items()])
    ds = MNIST(tmp_path, train=False, download=True)
    np.testing.assert_array_equal(ds[1][0], truth[2][1])
    assert sorted(os.listdir(tmp_path / "MNIST" / "raw")) == sorted(files)
    served.clear()  # second time: nothing downloaded, nothing needed
    assert len(MNIST(tmp_path, train=True, download=True)) == 5


def test_mnist_checksum_mismatch_leaves_nothing(tmp_path, server, monkeypatch):
    url, served = server
    files, _ = mnist_files()
    served.update(files)
    monkeypatch.setattr(MNIST, "mirrors", [url])
    monkeypatch.setattr(MNIST, "resources", [(k, "0" * 32) for k in files])
    with pytest.raises(ChecksumError, match="checksum"):
        MNIST(tmp_path, download=True)
    assert not (tmp_path / "MNIST").exists() and leftovers(tmp_path) == []


def test_mnist_offline_error(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", [DEAD])
    with pytest.raises(DownloadError, match="offline") as info:
        MNIST(tmp_path, download=True)
    msg = str(info.value)
    for name, _ in MNIST.resources:  # all four files named, not just the first
        assert name in msg
    assert str(tmp_path / "MNIST" / "raw") in msg and "by hand" in msg
    # one-line readable: no sentence runs into the next
    assert "\n" not in msg and ". To install it by hand, put these files" in msg
    assert leftovers(tmp_path) == []
    assert not (tmp_path / "MNIST").exists()  # no empty MNIST/raw left behind


def test_fashion_mnist_offline_error_names_debian_package(tmp_path, monkeypatch):
    from ember.vision.datasets import FashionMNIST
    monkeypatch.setattr(FashionMNIST, "mirrors", [DEAD])
    monkeypatch.setattr(FashionMNIST, "system_folders", [])
    with pytest.raises(DownloadError, match="apt-get install dataset-fashion-mnist"):
        FashionMNIST(tmp_path, download=True)
    assert os.listdir(tmp_path) == []


def test_download_truncated_transfer_is_not_kept(tmp_path, server, monkeypatch):
    url, served = server
    files, _ = mnist_files()
    served.update(files)
    monkeypatch.setattr(MNIST, "mirrors", [url + "truncated/"])
    monkeypatch.setattr(MNIST, "resources", [(k, md5(v)) for k, v in files.items()])
    with pytest.raises(DownloadError):
        MNIST(tmp_path, download=True)
    assert not (tmp_path / "MNIST").exists() and leftovers(tmp_path) == []


def test_fashion_mnist_system_folder(tmp_path, monkeypatch):
    sysdir = tmp_path / "debian"
    truth = write_mnist(sysdir)
    monkeypatch.setattr(FashionMNIST, "system_folders", [str(sysdir)])
    ds = FashionMNIST(tmp_path / "root", train=True)
    assert len(ds) == 5 and ds.classes[0] == "T-shirt/top"
    np.testing.assert_array_equal(ds[0][0], truth[0][0])
    # files under root win over the system folder
    write_mnist(tmp_path / "root" / "FashionMNIST" / "raw", gz=False)
    assert FashionMNIST(tmp_path / "root").raw_folder.startswith(str(tmp_path / "root"))
    monkeypatch.setattr(FashionMNIST, "system_folders", [])
    with pytest.raises(DatasetError, match="dataset-fashion-mnist"):
        FashionMNIST(tmp_path / "empty")


@pytest.mark.skipif(not os.path.isfile("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_debian_package(tmp_path):
    ds = FashionMNIST(tmp_path, train=False)
    assert len(ds) == 10000 and ds[0][0].shape == (28, 28)
    assert np.bincount(ds.targets.numpy()).tolist() == [1000] * 10


# ------------------------------------------------------------------------- CIFAR
def test_cifar10_download_extract_and_layout(tmp_path, server, monkeypatch):
    url, served = server
    archive, truth = cifar10_archive()
    served["cifar-10-binary.tar.gz"] = archive
    monkeypatch.setattr(CIFAR10, "urls", [DEAD + "x.tar.gz", url + "cifar-10-binary.tar.gz"])
    monkeypatch.setattr(CIFAR10, "tgz_md5", md5(archive))
    ds = CIFAR10(tmp_path, train=True, download=True)
    assert len(ds) == 10 and ds.data.shape == (10, 32, 32, 3) and isinstance(ds.targets, list)
    img, label = ds[2]  # first record of data_batch_2
    np.testing.assert_array_equal(img, truth["data_batch_2.bin"][0][0])
    assert label == int(truth["data_batch_2.bin"][1][0, 0])
    assert ds.classes[0] == "airplane" and len(ds.classes) == 10
    test = CIFAR10(tmp_path, train=False, transform=transforms.ToTensor())
    x, _ = test[1]
    assert x.shape == (3, 32, 32)
    np.testing.assert_allclose(x.numpy()[0], truth["test_batch.bin"][0][1][..., 0] / 255, rtol=1e-6)
    assert not (tmp_path.parent / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    assert leftovers(tmp_path) == []


def test_cifar10_bad_checksum_and_truncated(tmp_path, server, monkeypatch):
    url, served = server
    archive, _ = cifar10_archive()
    served["c.tgz"] = archive
    monkeypatch.setattr(CIFAR10, "urls", [url + "c.tgz"])
    monkeypatch.setattr(CIFAR10, "tgz_md5", "f" * 32)
    with pytest.raises(ChecksumError):
        CIFAR10(tmp_path, download=True)
    assert not (tmp_path / "cifar-10-binary.tar.gz").exists() and leftovers(tmp_path) == []
    with pytest.raises(DatasetError, match="download=True"):
        CIFAR10(tmp_path)
    monkeypatch.setattr(CIFAR10, "tgz_md5", md5(archive))
    CIFAR10(tmp_path, download=True)
    path = tmp_path / "cifar-10-batches-bin" / "test_batch.bin"
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(CorruptFileError, match="truncated"):
        CIFAR10(tmp_path, train=False)


def test_cifar100_fine_and_coarse(tmp_path):
    folder = tmp_path / "cifar-100-binary"
    folder.mkdir()
    data, imgs, labels = cifar_records(4, 2, seed=3)
    (folder / "train.bin").write_bytes(data)
    (folder / "test.bin").write_bytes(cifar_records(2, 2, seed=4)[0])
    ds = CIFAR100(tmp_path)
    assert len(ds) == 4 and ds.targets == labels[:, 1].tolist() and len(ds.classes) == 100
    np.testing.assert_array_equal(ds[3][0], imgs[3])
    coarse = CIFAR100(tmp_path, target_type="coarse")
    assert coarse.targets == labels[:, 0].tolist() and len(coarse.classes) == 20
    with pytest.raises(ValueError):
        CIFAR100(tmp_path, target_type="medium")


def test_extract_ignores_unlisted_and_reports_missing(tmp_path):
    archive = tmp_path / "a.tgz"
    archive.write_bytes(make_tar({"d/x.bin": b"1", "../../y.bin": b"2"}))
    extract_tar_members(str(archive), ["d/x.bin"], str(tmp_path / "out"))
    assert (tmp_path / "out" / "d" / "x.bin").read_bytes() == b"1"
    assert not (tmp_path / "y.bin").exists()
    with pytest.raises(CorruptFileError, match="lacks"):
        extract_tar_members(str(archive), ["d/z.bin"], str(tmp_path / "out"))
    (tmp_path / "bad.tgz").write_bytes(b"not a tar")
    with pytest.raises(CorruptFileError):
        extract_tar_members(str(tmp_path / "bad.tgz"), ["d/x.bin"], str(tmp_path / "o2"))


def test_public_names():
    for name in ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "MNISTSample"]:
        assert hasattr(datasets, name)


def test_cifar_targets_list_can_be_replaced(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for i, name in enumerate([f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]):
        (folder / name).write_bytes(cifar_records(3, 1, seed=i)[0])
    ds = CIFAR10(tmp_path)
    ds.data, ds.targets = ds.data[:4], [9, 8, 7, 6]
    assert len(ds) == 4 and [ds[i][1] for i in range(4)] == [9, 8, 7, 6]
