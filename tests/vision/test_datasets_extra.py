"""CIFAR's python layout, FakeData, ImageFolder/DatasetFolder, EMNIST/KMNIST."""
import gzip
import os
import pickle

import numpy as np
import pytest

from ember.vision import datasets
from ember.vision.datasets import CorruptFileError, DatasetError
from tests.helpers import torch, require_torch

PIL = pytest.importorskip("PIL.Image")
R = np.random.default_rng(0)


def _cifar_batch(n, label_keys, k):
    d = {b"batch_label": b"training batch", b"data": R.integers(0, 256, (n, 3072), dtype=np.uint8),
         b"filenames": [f"img{i}.png".encode() for i in range(n)]}
    for key in label_keys:
        d[key] = [int(v) for v in R.integers(0, k, n)]
    return d


def _dump(obj, path):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def test_cifar10_python_layout(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batches[name] = _cifar_batch(3, [b"labels"], 10)
        _dump(batches[name], folder / name)
    names = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    _dump({b"label_names": [n.encode() for n in names], b"num_vis": 3072}, folder / "batches.meta")
    train = datasets.CIFAR10(tmp_path, train=True)
    assert len(train) == 15 and train.classes == names
    first = batches["data_batch_1"]
    np.testing.assert_array_equal(train.data[0], first[b"data"][0].reshape(3, 32, 32).transpose(1, 2, 0))
    assert train.targets[:3] == first[b"labels"]
    img, label = train[4]
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8 and label == batches["data_batch_2"][b"labels"][1]
    test = datasets.CIFAR10(tmp_path, train=False)
    assert test.targets == batches["test_batch"][b"labels"]


def test_cifar100_python_layout_and_refused_pickle(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    tr = _cifar_batch(4, [b"fine_labels", b"coarse_labels"], 20)
    _dump(tr, folder / "train")
    _dump(_cifar_batch(2, [b"fine_labels", b"coarse_labels"], 20), folder / "test")
    _dump({b"fine_label_names": [f"f{i}".encode() for i in range(100)],
           b"coarse_label_names": [f"c{i}".encode() for i in range(20)]}, folder / "meta")
    ds = datasets.CIFAR100(tmp_path)
    assert ds.targets == tr[b"fine_labels"] and ds.coarse_targets == tr[b"coarse_labels"]
    assert ds.classes[:2] == ["f0", "f1"]
    assert datasets.CIFAR100(tmp_path, target_type="coarse").classes[0] == "c0"
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    _dump({b"data": Evil()}, folder / "train")
    with pytest.raises(CorruptFileError, match="refusing global .*system"):
        datasets.CIFAR100(tmp_path)
    assert not marker.exists()
    with pytest.raises(DatasetError, match="python version"):
        datasets.CIFAR10(tmp_path / "nowhere")


@pytest.mark.parametrize("size", [(3, 5, 4), (1, 4, 4)])
def test_fakedata_equals_torchvision(size):
    require_torch()
    ds = datasets.FakeData(size=3, image_size=size, num_classes=5, random_offset=7)
    assert len(ds) == 3
    for i in range(3):
        img, target = ds[i]
        torch.manual_seed(i + 7)  # torchvision: seed, randn image, randint target, ToPILImage
        t = torch.randn(*size)
        tt = int(torch.randint(0, 5, size=(1,), dtype=torch.long)[0])
        ref = t.mul(255).byte().permute(1, 2, 0).numpy()
        ref = ref[:, :, 0] if size[0] == 1 else ref
        np.testing.assert_array_equal(np.asarray(img), ref)
        assert target == tt and img.mode == ("L" if size[0] == 1 else "RGB")
    with pytest.raises(IndexError):
        ds[3]
    from ember.vision import transforms
    x, _ = datasets.FakeData(2, (3, 8, 8), transform=transforms.ToTensor())[0]
    assert tuple(x.shape) == (3, 8, 8)


def _png(path, color, size=(4, 3)):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    PIL.new("RGB", size, color).save(path)


def test_image_folder(tmp_path):
    _png(tmp_path / "dog" / "b.png", (255, 0, 0))
    _png(tmp_path / "dog" / "a.jpg", (0, 255, 0))
    _png(tmp_path / "dog" / "sub" / "c.png", (0, 0, 255))
    _png(tmp_path / "cat" / "z.PNG", (9, 9, 9))
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    ds = datasets.ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    names = [os.path.relpath(p, tmp_path) for p, _ in ds.samples]
    assert names == ["cat/z.PNG", "dog/a.jpg", "dog/b.png", os.path.join("dog", "sub", "c.png")]
    assert ds.targets == [0, 1, 1, 1] and ds.imgs == ds.samples and len(ds) == 4
    img, label = ds[2]
    assert img.mode == "RGB" and img.size == (4, 3) and label == 1
    assert np.asarray(img)[0, 0].tolist() == [255, 0, 0]
    from ember.vision import transforms
    x, _ = datasets.ImageFolder(tmp_path, transform=transforms.ToTensor(),
                                target_transform=lambda t: t + 10)[0]
    assert tuple(x.shape) == (3, 3, 4)
    assert datasets.ImageFolder(tmp_path, target_transform=lambda t: t + 10)[0][1] == 10
    txt = datasets.DatasetFolder(tmp_path, loader=lambda p: open(p).read(), extensions=(".txt",),
                                 allow_empty=True)
    assert txt[0] == ("not an image", 0) and len(txt) == 1
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes dog"):
        datasets.DatasetFolder(tmp_path, loader=open, extensions=(".txt",))
    only_b = datasets.ImageFolder(tmp_path, is_valid_file=lambda p: p.endswith("b.png"), allow_empty=True)
    assert len(only_b) == 1
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(tmp_path / "empty")


def _idx(path, arr, gz=False):
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    with (gzip.open if gz else open)(str(path) + (".gz" if gz else ""), "wb") as f:
        f.write(data)


def test_kmnist_emnist(tmp_path):
    raw = tmp_path / "KMNIST" / "raw"
    raw.mkdir(parents=True)
    imgs = R.integers(0, 256, (5, 28, 28))
    labels = R.integers(0, 10, 5)
    for prefix in ("train", "t10k"):
        _idx(raw / f"{prefix}-images-idx3-ubyte", imgs, gz=prefix == "train")
        _idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    ds = datasets.KMNIST(tmp_path)
    np.testing.assert_array_equal(ds.data.numpy(), imgs)
    assert ds.targets.tolist() == labels.tolist() and ds.classes[1] == "ki"
    raw = tmp_path / "EMNIST" / "raw"
    raw.mkdir(parents=True)
    for part in ("train", "test"):
        _idx(raw / f"emnist-letters-{part}-images-idx3-ubyte", imgs, gz=True)
        _idx(raw / f"emnist-letters-{part}-labels-idx1-ubyte", labels + 1)
    em = datasets.EMNIST(tmp_path, split="letters", train=False)
    assert len(em) == 5 and em.targets.tolist() == (labels + 1).tolist()
    assert em.classes[0] == "N/A" and em.classes[1] == "a" and len(em.classes) == 27
    assert len(datasets.EMNIST.classes_split_dict["byclass"]) == 62
    assert len(datasets.EMNIST.classes_split_dict["balanced"]) == 47
    img, label = em[0]
    assert img.shape == (28, 28)
    with pytest.raises(ValueError, match="Unknown value \"nope\" for argument split"):
        datasets.EMNIST(tmp_path, split="nope")
    with pytest.raises(DatasetError, match="emnist-digits"):
        datasets.EMNIST(tmp_path, split="digits")


def test_fakedata_equals_torchvision_pngs():
    """Items written by torchvision's own FakeData (scripts/vision_model_refs.py)."""
    import importlib.util
    import json
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = importlib.util.spec_from_file_location("vision_model_refs",
                                                  os.path.join(root, "scripts", "vision_model_refs.py"))
    refs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(refs)
    with open(os.path.join(refs.PNG, "fakedata.json")) as f:
        targets = json.load(f)["targets"]
    ds = datasets.FakeData(**refs.FAKEDATA)
    for i, target in enumerate(targets):
        img, label = ds[i]
        ref = PIL.open(os.path.join(refs.PNG, f"fakedata_{i}.png"))
        np.testing.assert_array_equal(np.asarray(img), np.asarray(ref))
        assert label == target and img.mode == ref.mode
