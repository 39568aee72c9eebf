"""The course recipes of issue 12 (ResNet, transfer, VAE, GANs, C3D, deep RL): each runs
a few steps on tiny data from the CLI, writes its files, and resumes; the training
functions give PyTorch's numbers when the same file runs with torch (scripts/torch_twin.py).

Model construction uses PyTorch's bit-exact (slow) random draws; the smoke runs of the
big networks patch in a fast NumPy initialisation, which changes no code path."""
import json
import os
import pickle
import sys

import numpy as np
import pytest

import ember
from ember.cli import main
from tests.helpers import require_torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))


@pytest.fixture
def fast_init(monkeypatch):
    """Kaiming initialisations from NumPy (the ResNet-18's 11M weights otherwise take
    seconds to draw with PyTorch's bit-exact generator)."""
    rng = np.random.default_rng(0)

    def fill(t, *args, **kwargs):
        w = rng.random(tuple(t.shape), dtype=np.float32)
        t.data.copy_(ember.from_numpy(w * np.float32(0.1) - np.float32(0.05)))
        return t
    monkeypatch.setattr(ember.nn.init, "kaiming_uniform_", fill)
    monkeypatch.setattr(ember.nn.init, "kaiming_normal_", fill)


def cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return out.strip().splitlines()


def write_cifar10_bin(root, n=2):
    rng = np.random.default_rng(0)
    folder = root / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        rec = np.concatenate([rng.integers(0, 10, (n, 1)),
                              rng.integers(0, 256, (n, 3072))], axis=1).astype(np.uint8)
        (folder / name).write_bytes(rec.tobytes())


def write_cifar100_python(root, n=4):
    rng = np.random.default_rng(1)
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    for name in ("train", "test"):
        d = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             b"fine_labels": [int(v) for v in rng.integers(0, 100, n)],
             b"coarse_labels": [int(v) for v in rng.integers(0, 20, n)]}
        with open(folder / name, "wb") as f:
            pickle.dump(d, f, protocol=2)
    with open(folder / "meta", "wb") as f:
        pickle.dump({b"fine_label_names": [f"f{i}".encode() for i in range(100)],
                     b"coarse_label_names": [f"c{i}".encode() for i in range(20)]}, f)


def write_fashion(root, n=8):
    """Tiny Fashion-MNIST idx files (random images) in root/FashionMNIST/raw."""
    rng = np.random.default_rng(2)
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for split in ("train", "t10k"):
        img = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        (raw / f"{split}-images-idx3-ubyte").write_bytes(
            np.array([2051, n, 28, 28], ">i4").tobytes() + img.tobytes())
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(
            np.array([2049, n], ">i4").tobytes() + (np.arange(n) % 10).astype(np.uint8).tobytes())


# ----------------------------------------------------------------------------- ResNet
def test_cifar_resnets_are_the_shared_resnet(fast_init, monkeypatch):
    import ember.models.resnet_cifar as rc
    from ember.models import cifar_resnet18, cifar_resnet34
    from ember.vision.models import ResNet
    m = cifar_resnet18(num_classes=100)
    assert isinstance(m, ResNet) and tuple(m.conv1.weight.shape) == (64, 3, 3, 3)
    assert isinstance(m.maxpool, ember.nn.Identity)
    assert sum(p.numel() for p in m.parameters()) == 11_220_132
    calls = []
    monkeypatch.setattr(rc, "ResNet", lambda *a, **k: calls.append((a, k)))
    cifar_resnet34(num_classes=100, in_channels=1)
    assert calls[0][0][1] == [3, 4, 6, 3] and calls[0][1] == dict(
        num_classes=100, small_input=True, in_channels=1)


def test_cifar10_resnet_recipe_on_generated_files(tmp_path, capsys, fast_init):
    write_cifar10_bin(tmp_path / "data")
    lines = cli(capsys, "train", "cifar10-resnet18", "--data-dir", tmp_path / "data", "--epochs",
                1, "--batch-size", 2, "--limit-train", 2, "--limit-test", 2, "--workers", 0,
                "--out", tmp_path / "run")
    assert "(2 train / 2 test)" in lines[0] and lines[-1].startswith("test accuracy: ")
    state = ember.load(tmp_path / "run" / "checkpoint.safetensors")
    assert tuple(state["model"]["fc.weight"].shape) == (10, 512)


def test_cifar100_resnet_recipe_on_python_layout(tmp_path, fast_init):
    # (from Python: the CLI path is the one above; this skips its 45 MB checkpoints)
    from ember.recipes import build, get_recipe, make_config
    from ember.train import fit
    write_cifar100_python(tmp_path / "data")
    cfg = make_config(get_recipe("cifar100-resnet18"), data_dir=str(tmp_path / "data"),
                      epochs=1, batch_size=2, limit_train=2, limit_test=2, workers=0)
    run = build(cfg)
    x, y = next(iter(run["train_loader"]))
    assert tuple(x.shape) == (2, 3, 32, 32) and int(y.max()) < 100
    assert tuple(run["model"].fc.weight.shape) == (100, 512)
    hist = fit(run["model"], run["train_loader"], run["optimizer"], run["loss_fn"], 1,
               val_loader=run["test_loader"], scheduler=run["scheduler"], val_name="test")
    assert 0 <= hist[-1]["test_accuracy"] <= 1


def test_fashion_resnet_recipe_pads_to_32(tmp_path, capsys, fast_init):
    write_fashion(tmp_path / "data")
    from ember.recipes import get_recipe, make_config
    cfg = make_config(get_recipe("fashion-resnet18"), data_dir=str(tmp_path / "data"))
    train, test, info = get_recipe("fashion-resnet18").data(cfg)
    assert tuple(train[0][0].shape) == (1, 32, 32) and tuple(test[0][0].shape) == (1, 32, 32)
    from ember.recipes import build
    from ember.train import fit
    cfg.update(epochs=1, batch_size=4, limit_train=4, limit_test=4)
    run = build(cfg)
    assert tuple(run["model"].conv1.weight.shape) == (64, 1, 3, 3)
    hist = fit(run["model"], run["train_loader"], run["optimizer"], run["loss_fn"], 1,
               val_loader=run["test_loader"], val_name="test")
    assert 0 <= hist[-1]["test_accuracy"] <= 1


# ----------------------------------------------------------------------------- transfer
def test_transfer_recipe_and_resume(tmp_path, capsys, monkeypatch):
    from ember.recipes import get_recipe, make_config
    import ember.models.transfer as tr
    write_fashion(tmp_path / "data", n=20)
    calls = []
    real = tr.fit_classifier
    monkeypatch.setattr(tr, "fit_classifier",
                        lambda model, opt, *a, **k: calls.append(
                            [g["lr"] for g in opt.param_groups]) or real(model, opt, *a, **k))
    recipe = get_recipe("transfer")  # the CLI's entry, with a tiny backbone and 2 digits/class
    cfg = make_config(recipe, epochs=1, data_dir=str(tmp_path / "data"), limit_train=20,
                      limit_test=30, per_class=2, width=4)
    last = recipe.run(cfg, str(tmp_path), quiet=True)
    assert last.startswith("test accuracy: frozen ")
    res = json.loads((tmp_path / "results.json").read_text())
    assert set(res) == {"pretrain", "frozen", "finetune", "scratch", "train_digits"}
    assert res["train_digits"] == 20
    # pretrain, frozen head only, fine-tune with a 10x lower backbone lr, scratch
    assert calls == [[1e-3], [1e-3], [1e-4, 1e-3], [1e-3]]
    lines = cli(capsys, "train", "transfer", "--resume", tmp_path)
    assert lines[-1] == last and len(calls) == 4  # a finished run trains nothing more


def test_transfer_steps_resume_inside_stages_equals_straight_run(tmp_path):
    """--steps stops inside a stage (pretrain mid-epoch, the frozen stage at an epoch's
    start, fine-tuning mid-epoch); each resume goes on there, and the run ends bit for bit
    as one that never stopped (24 steps: 6 per stage)."""
    from ember.recipes import get_recipe, make_config
    from ember.train import load_checkpoint
    write_fashion(tmp_path / "data", n=20)
    recipe = get_recipe("transfer")
    cfg = make_config(recipe, epochs=2, batch_size=8, data_dir=str(tmp_path / "data"),
                      limit_train=20, limit_test=30, per_class=2, width=4, pretrain_epochs=2)
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    recipe.run(dict(cfg, steps=None), str(tmp_path / "a"), quiet=True)
    b = str(tmp_path / "b")
    for steps, stage in ((4, 1), (9, 2), (14, 3)):
        line = recipe.run(dict(cfg, steps=steps), b, resume=b if steps > 4 else None,
                          quiet=True)
        assert line.startswith(f"stopped after {steps} steps")
        ck = load_checkpoint(b)
        assert ck["epoch"] == stage - 1 and ck["states"]["partial"]["position"]["steps"] == (
            steps - 6 * (stage - 1))
    recipe.run(dict(cfg, steps=None), b, resume=b, quiet=True)
    ra, rb = (json.loads((tmp_path / d / "results.json").read_text()) for d in "ab")
    assert ra == rb and set(ra) >= {"pretrain", "frozen", "finetune", "scratch"}
    sa, sb = (load_checkpoint(str(tmp_path / d))["states"] for d in "ab")
    for key in ("model", "pretrained"):
        assert sa[key].keys() == sb[key].keys()
        for name in sa[key]:
            np.testing.assert_array_equal(sa[key][name].numpy(), sb[key][name].numpy())


def test_transfer_frozen_backbone_gets_no_gradient():
    from ember.models.transfer import TransferNet
    m = TransferNet(width=4)
    m.requires_grad_(False)
    m.fc = ember.nn.Linear(m.fc.in_features, 10)
    m(ember.randn(2, 1, 28, 28)).sum().backward()
    assert all(p.grad is None for p in m.features.parameters())
    assert m.fc.weight.grad is not None


# ----------------------------------------------------------------------------- VAE
def test_vae_recipe_resume_equals_straight_run(tmp_path, capsys):
    tiny = ["--limit-train", 64, "--limit-test", 20]
    straight = cli(capsys, "train", "mnist-vae", "--epochs", 2, *tiny, "--out", tmp_path / "a")
    cli(capsys, "train", "mnist-vae", "--epochs", 1, *tiny, "--out", tmp_path / "b")
    resumed = cli(capsys, "train", "mnist-vae", "--epochs", 2, "--resume", tmp_path / "b")
    assert resumed[-1] == straight[-1] and straight[-1].startswith("test loss (-ELBO")
    names = set(os.listdir(tmp_path / "a"))
    assert {"recon_002.png", "samples_002.png", "history.json"} <= names


def test_vae_matches_its_torch_twin():
    require_torch()
    import ember.models.vae as V
    from torch_twin import load_twin
    cfg = {"recipe": "mnist-vae", "seed": 0, "lr": 1e-3, "batch_size": 32, "epochs": 1,
           "limit_train": 64, "limit_test": 20}
    a = V.train_vae(cfg, log=lambda *a: None)["test_loss"]
    b = load_twin("ember.models.vae").train_vae(cfg, log=lambda *a: None)["test_loss"]
    assert abs(a - b) < 1e-3 * abs(b)


# ----------------------------------------------------------------------------- GANs
def fake_classifier_run(path):
    """An 'ember train mnist-cnn'-style checkpoint of an untrained MnistCNN."""
    from ember.models import MnistCNN
    from ember.models._course import save_state
    os.makedirs(path, exist_ok=True)
    save_state(ember, str(path), 1, {"model": MnistCNN().state_dict()}, {"recipe": "mnist-cnn"})
    return str(path)


def test_gan_recipes_write_samples_and_resume(tmp_path, capsys):
    tiny = ["--limit-train", 64]  # one batch an epoch; the lr decays over the last 15
    straight = cli(capsys, "train", "mnist-gan", "--epochs", 2, *tiny, "--out", tmp_path / "a")
    cli(capsys, "train", "mnist-gan", "--epochs", 2, *tiny, "--steps", 1, "--out", tmp_path / "b")
    resumed = cli(capsys, "train", "mnist-gan", "--resume", tmp_path / "b")
    assert resumed[-1] == straight[-1] and straight[-1].startswith("D loss ")
    assert main(["train", "mnist-gan", "--epochs", "3", "--resume", str(tmp_path / "b")]) == 2
    assert "decaying over its last 15 epochs" in capsys.readouterr().err
    assert {"samples_001.png", "samples_002.png", "history.json"} <= set(os.listdir(tmp_path / "a"))
    lines = cli(capsys, "train", "mnist-dcgan", "--epochs", 1, *tiny, "--out", tmp_path / "c")
    assert lines[0].startswith("epoch 1/1 | D loss") and (tmp_path / "c" / "samples_001.png").exists()


def test_dcgan_shapes_and_classifier_check(tmp_path):
    from ember.models.gan import DCDiscriminator, DCGenerator, train_gan
    assert tuple(DCGenerator(16, 4)(ember.randn(3, 16)).shape) == (3, 1, 28, 28)
    deep = DCGenerator(16, 4, depth=2)  # two more 3x3 layers (+ BN, ReLU) at 14x14
    assert len(deep.net) == len(DCGenerator(16, 4).net) + 6
    assert tuple(deep(ember.randn(3, 16)).shape) == (3, 1, 28, 28)
    assert tuple(DCDiscriminator(4)(ember.randn(3, 1, 28, 28)).shape) == (3,)
    cfg = {"recipe": "mnist-dcgan", "arch": "dcgan", "seed": 0, "lr": 2e-4, "batch_size": 32,
           "epochs": 2, "limit_train": 32, "nz": 8, "width": 4, "decay_epochs": 1,
           "g_width": 6, "classifier": fake_classifier_run(tmp_path / "clf")}
    r = train_gan(cfg, out=str(tmp_path), log=lambda *a: None)
    assert 0.1 <= r["mean_top_prob"] <= 1 and 0 <= r["class_entropy"] <= np.log(10) + 1e-9
    assert sum(r["class_counts"]) == 1000
    # the averaged generator's BatchNorm statistics: its own, over the given noise
    from ember.models.gan import standing_stats_
    g = DCGenerator(8, 4)
    z = ember.randn(20, 8)
    standing_stats_(g, z, batch=10)
    bn = g.net[1]
    assert not g.training and int(bn.num_batches_tracked) == 2 and bn.momentum == 0.1
    with ember.no_grad():
        h = g.net[0](z.reshape(20, 8, 1, 1))
    np.testing.assert_allclose(bn.running_mean.numpy(), h.mean((0, 2, 3)).numpy(), atol=1e-5)
    # epoch 1 at the full rate, the last (decaying) epoch at half of it
    states = ember.load(tmp_path / "checkpoint.safetensors")["states"]
    assert [states[k]["param_groups"][0]["lr"] for k in ("opt_g", "opt_d")] == [1e-4, 1e-4]
    # g_width: the generator's own width (4 x 6 channels at 7x7), the discriminator's 4
    assert tuple(states["model"]["net.0.weight"].shape) == (8, 24, 7, 7)
    assert tuple(states["discriminator"]["net.0.weight"].shape) == (8, 1, 4, 4)


def test_gan_options_two_rates_smoothed_labels_all_digits(tmp_path):
    from ember.models.gan import train_gan
    cfg = {"recipe": "mnist-gan", "arch": "mlp", "seed": 0, "lr": 2e-4, "lr_d": 5e-4,
           "batch_size": 16, "epochs": 1, "limit_train": 16, "nz": 8, "decay_epochs": 0,
           "real_label": 0.9, "digits": "all"}
    smooth = train_gan(cfg, out=str(tmp_path), log=lambda *a: None)["history"][0]
    states = ember.load(tmp_path / "checkpoint.safetensors")["states"]
    assert [states[k]["param_groups"][0]["lr"] for k in ("opt_g", "opt_d")] == [2e-4, 5e-4]
    plain = train_gan(dict(cfg, real_label=1.0), log=lambda *a: None)["history"][0]
    # one step, the same batch and draws: D's loss differs (real images against 0.9, not 1)
    assert plain["loss_d"] != smooth["loss_d"] and plain["d_real"] == smooth["d_real"]


def test_gan_translate_shifts_each_image_and_has_gradients():
    from ember.models.gan import translate
    from tests.helpers import check_op
    x = np.random.default_rng(0).standard_normal((3, 2, 5, 6))
    shifts = np.array([[1, -2], [0, 0], [-2, 2]])
    ref = np.full((3, 2, 9, 10), -1.0)  # the background of [-1, 1] images fills the border
    ref[:, :, 2:7, 2:8] = x
    want = np.stack([ref[i, :, 2 - dy:7 - dy, 2 - dx:8 - dx] for i, (dy, dx) in enumerate(shifts)])
    np.testing.assert_array_equal(translate(ember.from_numpy(x), shifts, 2).numpy(), want)
    require_torch()
    from torch_twin import load_twin
    twin = load_twin("ember.models.gan").translate
    check_op(lambda t: translate(t, shifts, 2), lambda t: twin(t, shifts, 2), inputs=[x])


def test_gan_d_regularisers_resume_and_match_the_twin(tmp_path):
    """augment (random shifts), d_noise (annealed instance noise), d_dropout: NumPy draws
    seeded by the step, so a run stopped and resumed equals the unbroken one, and the
    PyTorch twin sees the same draws."""
    from ember.models.gan import DCDiscriminator, train_gan
    assert not any(isinstance(m, ember.nn.Dropout) for m in DCDiscriminator(4).modules())
    assert sum(isinstance(m, ember.nn.Dropout) for m in DCDiscriminator(4, 0.3).modules()) == 2
    from ember.models.gan import MLPDiscriminator
    assert len(MLPDiscriminator().net) == 6 and len(MLPDiscriminator(dropout=0.3).net) == 8
    mlp = {"recipe": "mnist-gan", "arch": "mlp", "seed": 0, "lr": 2e-4, "batch_size": 16,
           "epochs": 1, "limit_train": 16, "nz": 8, "decay_epochs": 0}
    assert (train_gan(dict(mlp, d_dropout=0.3), log=lambda *a: None)["history"][0]["d_real"]
            != train_gan(mlp, log=lambda *a: None)["history"][0]["d_real"])
    cfg = {"recipe": "mnist-dcgan", "arch": "dcgan", "seed": 0, "lr": 2e-4, "batch_size": 16,
           "epochs": 2, "limit_train": 32, "nz": 8, "width": 4, "decay_epochs": 1,
           "augment": 2, "d_noise": 0.1, "d_dropout": 0.2}
    quiet = dict(log=lambda *a: None)
    os.makedirs(tmp_path / "b")
    straight = train_gan(cfg, **quiet)["history"]
    train_gan(dict(cfg, steps=3), out=str(tmp_path / "b"), **quiet)
    assert train_gan(cfg, out=str(tmp_path / "b"), resume=str(tmp_path / "b"),
                     **quiet)["history"] == straight
    plain = train_gan(dict(cfg, augment=0, d_noise=0, d_dropout=0), **quiet)["history"]
    assert plain[0]["loss_d"] != straight[0]["loss_d"]
    require_torch()
    from torch_twin import load_twin
    twin = load_twin("ember.models.gan").train_gan(cfg, **quiet)["history"]
    for a, b in zip(straight, twin):
        np.testing.assert_allclose([a[k] for k in sorted(a)], [b[k] for k in sorted(b)],
                                   rtol=1e-4)


def test_gan_topk_and_g_steps_train_the_generator(tmp_path):
    """g_topk: G's loss on the k generated images D rates most real, k falling linearly
    from the whole batch (step 0) to g_topk of it; D's steps are untouched. g_steps: G
    updates per D update. Both match the PyTorch twin."""
    from ember.models.gan import train_gan
    cfg = {"recipe": "mnist-dcgan", "arch": "dcgan", "seed": 0, "lr": 2e-4, "batch_size": 16,
           "epochs": 2, "limit_train": 32, "nz": 8, "width": 4, "decay_epochs": 1,
           "g_topk": 0.5}
    quiet = dict(log=lambda *a: None)
    top = train_gan(cfg, **quiet)["history"]
    plain = train_gan(dict(cfg, g_topk=0), **quiet)["history"]
    # epoch 1: step 0 keeps all 16 (the same G update), so step 1's D sees the same G;
    # step 1's G loss is on its best 14 of 16 only
    assert top[0]["loss_d"] == plain[0]["loss_d"] and top[0]["d_fake"] == plain[0]["d_fake"]
    assert top[0]["loss_g"] != plain[0]["loss_g"] and top[1]["loss_d"] != plain[1]["loss_d"]
    # g_steps=2: a second G update on new noise after each D update; D's first loss the same
    two = train_gan(dict(cfg, g_topk=0, g_steps=2), **quiet)["history"]
    assert two[0]["loss_g"] != plain[0]["loss_g"] and two[1]["loss_d"] != plain[1]["loss_d"]
    require_torch()
    from torch_twin import load_twin
    twin = load_twin("ember.models.gan").train_gan(dict(cfg, g_steps=2), **quiet)["history"]
    for a, b in zip(train_gan(dict(cfg, g_steps=2), **quiet)["history"], twin):
        np.testing.assert_allclose([a[k] for k in sorted(a)], [b[k] for k in sorted(b)],
                                   rtol=1e-4)


# ----------------------------------------------------------------------------- video
def test_moving_mnist_videos():
    from ember.models.c3d import make_moving_mnist
    v, y = make_moving_mnist(8, frames=6, size=40, seed=3)
    assert v.shape == (8, 6, 40, 40) and v.dtype == np.uint8 and y.tolist() == [0, 1, 2, 3] * 2
    np.testing.assert_array_equal(v, make_moving_mnist(8, frames=6, size=40, seed=3)[0])
    assert not np.array_equal(v, make_moving_mnist(8, frames=6, size=40, split="test", seed=3)[0])
    # horizontal movers keep their rows, vertical movers their columns
    rows = (v[0] > 0).any(axis=2)
    assert all(np.array_equal(rows[0], rows[t]) for t in range(6))
    cols = (v[2] > 0).any(axis=1)
    assert all(np.array_equal(cols[0], cols[t]) for t in range(6))
    with pytest.raises(ValueError, match="at least 29"):
        make_moving_mnist(1, size=20)


def test_c3d_recipe(tmp_path, capsys):
    lines = cli(capsys, "train", "moving-mnist-c3d", "--epochs", 1, "--batch-size", 4,
                "--limit-train", 4, "--limit-test", 4, "--out", tmp_path / "run")
    assert "(4 train / 4 test)" in lines[0] and lines[-1].startswith("test accuracy: ")


# ----------------------------------------------------------------------------- deep RL
def test_cartpole_recipes_run_and_resume(tmp_path, capsys):
    pytest.importorskip("gymnasium", reason="the [rl] extra (installed by [test])")
    for name in ("cartpole-reinforce", "cartpole-a2c", "cartpole-dqn"):
        lines = cli(capsys, "train", name, "--epochs", 2, "--out", tmp_path / name)
        assert lines[-1].startswith("not solved in 2 episodes")
        res = json.loads((tmp_path / name / "results.json").read_text())
        assert len(res["rewards"]) == 2 and res["threshold"] == 475
    straight = json.loads((tmp_path / "cartpole-a2c" / "results.json").read_text())["rewards"]
    cli(capsys, "train", "cartpole-a2c", "--epochs", 1, "--out", tmp_path / "b")
    cli(capsys, "train", "cartpole-a2c", "--epochs", 2, "--resume", tmp_path / "b")
    assert json.loads((tmp_path / "b" / "results.json").read_text())["rewards"] == straight


def test_dqn_updates_and_matches_torch_twin():
    pytest.importorskip("gymnasium", reason="the [rl] extra (installed by [test])")
    require_torch()
    import ember.models.rl as rl
    from torch_twin import load_twin
    cfg = {"recipe": "cartpole-dqn", "seed": 1, "lr": 1e-3, "batch_size": 8, "buffer": 100,
           "warmup": 16, "eps_steps": 50, "eps_end": 0.05, "tau": 0.05, "clip": 10.0,
           "gamma": 0.99, "epochs": 2}
    a = rl.train_dqn(cfg, log=lambda *a: None)["rewards"]
    b = load_twin("ember.models.rl").train_dqn(cfg, log=lambda *a: None)["rewards"]
    assert a == b and len(a) == 2


# ----------------------------------------------------------------------------- all recipes
# recipe -> the tiny run of the smoke test below (data: generated files in `data`)
_MNIST_TINY = ["--limit-train", 32, "--limit-test", 8, "--batch-size", 8]
SMOKE = {
    "mnist-mlp": _MNIST_TINY, "mnist-cnn": _MNIST_TINY,
    "fashion-mlp": ["--data-dir", "{data}", "--batch-size", 4],
    "fashion-cnn": ["--data-dir", "{data}", "--batch-size", 4],
    "cifar10-cnn": ["--data-dir", "{data}", "--batch-size", 2, "--workers", 0],
    "cifar10-resnet18": ["--data-dir", "{data}", "--batch-size", 2, "--workers", 0],
    "cifar100-resnet18": ["--data-dir", "{data}", "--batch-size", 2, "--workers", 0],
    "fashion-resnet18": ["--data-dir", "{data}", "--batch-size", 2],
    "moving-mnist-c3d": ["--limit-train", 4, "--limit-test", 4, "--batch-size", 2],
    "transfer": ["--data-dir", "{data}", "--limit-test", 8],
    "mnist-vae": _MNIST_TINY, "mnist-dcgan": _MNIST_TINY, "mnist-gan": _MNIST_TINY,
    "cartpole-dqn": ["--epochs", 2], "cartpole-reinforce": ["--epochs", 2],
    "cartpole-a2c": ["--epochs", 2],
}
SMOKE_ELSEWHERE = {"wikitext-lstm", "charlm"}  # tests/text/test_recipes.py (their data)


def test_every_recipe_runs_a_few_steps_then_resumes(tmp_path, capsys, fast_init):
    """`ember train NAME --steps 1` for every recipe on tiny data (seconds in all), then
    `--resume --steps 2`: one step more, from the saved run."""
    from ember.recipes import RECIPES
    assert set(RECIPES) - SMOKE_ELSEWHERE == set(SMOKE), "add the new recipe to SMOKE"
    data = tmp_path / "data"
    write_fashion(data, n=8)
    write_cifar10_bin(data)
    write_cifar100_python(data)
    try:
        import gymnasium  # noqa: F401
    except ImportError:
        gymnasium = None
    for name, extra in SMOKE.items():
        if name.startswith("cartpole") and gymnasium is None:
            continue  # the [rl] extra (installed by [test])
        out = tmp_path / name
        argv = ["train", name, *[str(data) if a == "{data}" else a for a in extra],
                "--out", out, "-q"]
        first = cli(capsys, *argv, "--steps", 1)
        assert len(first) == 1 and os.path.isfile(out / "checkpoint.safetensors"), name
        if name not in ("cifar100-resnet18", "fashion-resnet18"):  # (cifar10-resnet18's
            again = cli(capsys, "train", "--resume", out, "--steps", 2, "-q")  # loop, 45 MB)
            assert len(again) == 1, name
