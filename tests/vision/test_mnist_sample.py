"""Tests of the embedded MNIST sample (ember/vision/datasets/sample.py)."""
import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from ember.vision import transforms
from ember.vision.datasets import MNISTSample, load_mnist_sample
from ember.vision.datasets import sample as sample_mod


def test_split_sizes_stratified_and_disjoint():
    with np.load(sample_mod.SAMPLE_PATH) as z:
        all_labels = z["labels"]
        all_images = z["images"]
    per_class = np.bincount(all_labels, minlength=10)
    xtr, ytr = load_mnist_sample("train")
    xte, yte = load_mnist_sample("test")
    assert xtr.shape == (7996, 28, 28) and xte.shape == (2004, 28, 28)
    assert xtr.dtype == np.uint8 and ytr.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(ytr, minlength=10), (per_class * 4) // 5)
    np.testing.assert_array_equal(np.bincount(ytr, minlength=10) + np.bincount(yte, minlength=10),
                                  per_class)
    # every image is used exactly once: compare sorted row bytes
    ours = sorted(x.tobytes() + bytes([y]) for x, y in zip(np.concatenate([xtr, xte]),
                                                           np.concatenate([ytr, yte])))
    ref = sorted(x.tobytes() + bytes([int(y)]) for x, y in zip(all_images, all_labels))
    assert ours == ref
    xa, ya = load_mnist_sample("all")
    assert len(xa) == 10000
    with pytest.raises(ValueError):
        load_mnist_sample("val")


def test_split_is_fixed_regardless_of_global_rng():
    sample_mod._splits.cache_clear()
    ember.manual_seed(123)
    np.random.seed(5)
    a = load_mnist_sample("test")[1]
    sample_mod._splits.cache_clear()
    ember.manual_seed(999)
    np.random.seed(7)
    b = load_mnist_sample("test")[1]
    np.testing.assert_array_equal(a, b)
    assert len(set(a[:50].tolist())) > 3  # shuffled, not sorted by label


def test_load_returns_copies():
    x, y = load_mnist_sample("train")
    x[:] = 0
    y[:] = 0
    x2, y2 = load_mnist_sample("train")
    assert x2.any() and y2.any()


def test_dataset_items_and_transform():
    ds = MNISTSample(train=True)
    assert len(ds) == 7996 and len(MNISTSample(train=False)) == 2004
    img, label = ds[0]
    assert img.shape == (28, 28) and img.dtype == np.uint8 and type(label) is int
    assert ds.data.shape == (7996, 28, 28) and ds.targets.dtype == ember.int64
    assert img.max() > 100  # a real digit, white on black
    t = MNISTSample(root="ignored", train=False,
                    transform=transforms.Compose([transforms.ToTensor(),
                                                  transforms.Normalize((0.1307,), (0.3081,))]))
    x, y = t[5]
    assert x.shape == (1, 28, 28) and x.dtype == ember.float32


def test_loader_over_sample():
    ds = MNISTSample(train=False, transform=transforms.ToTensor())
    x, y = next(iter(DataLoader(ds, batch_size=64, shuffle=True)))
    assert x.shape == (64, 1, 28, 28) and y.shape == (64,) and y.dtype == ember.int64
    assert 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0


def test_subsetting_data_and_targets_like_torchvision():
    ds = MNISTSample(train=True)
    keep = ds.targets == 3
    ds.data, ds.targets = ds.data[keep], ds.targets[keep]
    assert len(ds) == 825
    assert all(ds[i][1] == 3 for i in range(0, 825, 100))
    ds.data = ds.data.numpy()[:5]  # a NumPy array works too
    assert len(ds) == 5 and ds[4][0].shape == (28, 28)
