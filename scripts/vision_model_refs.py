"""Reference outputs of torchvision for ember.vision's tests (models, save_image, FakeData).

    PYTHONPATH=/path/to/torchvision python scripts/vision_model_refs.py   # needs torch + torchvision

torchvision is not a test dependency (its build on these machines is a multi-GB CUDA
install), so this script is run once, in an environment that has it, and writes one small
``tests/vision/model_refs/<model>.npz`` per model: the state-dict keys and shapes, and the
outputs on a fixed input for weights regenerated from a seed by :func:`seeded_state`
(weights are not stored). The tests rebuild the same weights in ember and compare.
It also writes ``tests/vision/torchvision_png/``: ``save_image`` grids of seeded tensors
(``save_image_<case>.png``) and ``FakeData`` items (``fakedata_<i>.png``, targets in
``fakedata.json``), compared pixel for pixel with ember's.
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "vision", "model_refs")
PNG = os.path.join(ROOT, "tests", "vision", "torchvision_png")
# save_image cases: (name, input shape, make_grid keyword arguments)
SAVE_IMAGE_CASES = [("batch", (5, 3, 4, 6), {}), ("grey_nrow", (10, 1, 5, 5), {"nrow": 4, "padding": 1,
                                                                                   "pad_value": 0.5}),
                    ("normalize", (3, 3, 4, 4), {"normalize": True}),
                    ("scale_each", (4, 3, 4, 4), {"normalize": True, "scale_each": True}),
                    ("value_range", (4, 3, 4, 4), {"normalize": True, "value_range": (-1.0, 1.0)}),
                    ("single", (3, 6, 5), {})]
FAKEDATA = {"size": 3, "image_size": (3, 6, 5), "num_classes": 4, "random_offset": 7}
# (model, kwargs, input shape, compare outputs?) -- outputs for the models whose weights
# are small enough to regenerate in a test; keys and shapes for all
MODELS = [("resnet18", {}, (2, 3, 64, 64), True), ("resnet34", {}, None, False),
          ("resnet50", {"num_classes": 10}, (1, 3, 64, 64), True), ("resnet101", {}, None, False),
          ("resnet152", {}, None, False), ("resnext50_32x4d", {}, None, False),
          ("wide_resnet50_2", {}, None, False), ("alexnet", {}, None, False),
          ("vgg11", {}, None, False), ("vgg11_bn", {}, None, False), ("vgg13", {}, None, False),
          ("vgg13_bn", {}, None, False), ("vgg16", {}, None, False), ("vgg16_bn", {}, None, False),
          ("vgg19", {}, None, False), ("vgg19_bn", {}, None, False),
          ("squeezenet1_0", {}, (2, 3, 64, 64), True), ("squeezenet1_1", {}, (2, 3, 64, 64), True),
          ("mobilenet_v2", {}, (2, 3, 64, 64), True)]
SEED = 1234


def seeded_state(keys_shapes, seed=SEED):
    """{key: float32/int64 array}: deterministic weights for a state dict's keys and shapes.

    Weights ~ N(0, 1/fan_in), biases ~ N(0, 0.05), BatchNorm weights U(0.5, 1.5), running
    means N(0, 0.1), running variances U(0.5, 1.5): an untrained but well-scaled network.
    """
    rng = np.random.RandomState(seed)
    state = {}
    for key, shape in keys_shapes:
        shape = tuple(shape)
        if key.endswith("num_batches_tracked"):
            state[key] = np.zeros(shape, np.int64)
        elif key.endswith("running_var"):
            state[key] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        elif key.endswith("running_mean"):
            state[key] = (0.1 * rng.standard_normal(shape)).astype(np.float32)
        elif len(shape) >= 2:
            fan_in = int(np.prod(shape[1:]))
            state[key] = (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)
        elif key.endswith("weight"):
            state[key] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        else:
            state[key] = (0.05 * rng.standard_normal(shape)).astype(np.float32)
    return state


def seeded_input(shape, seed=SEED + 1):
    return np.random.RandomState(seed).standard_normal(shape).astype(np.float32)


def _import_torchvision():
    try:
        import torchvision
    except RuntimeError as e:  # a torchvision whose C++ ops do not match this torch: the
        if "does not exist" not in str(e):  # models are pure Python and need none of them
            raise
        import types
        for name in [n for n in sys.modules if n.startswith("torchvision")]:
            del sys.modules[name]
        sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
        import torchvision
    return torchvision


def seeded_image(shape, seed=SEED + 2):
    """Values in [-0.3, 1.3): clamping and rounding are exercised."""
    return np.random.RandomState(seed).uniform(-0.3, 1.3, shape).astype(np.float32)


def pngs(tv):
    import torch
    os.makedirs(PNG, exist_ok=True)
    for name, shape, kw in SAVE_IMAGE_CASES:
        tv.utils.save_image(torch.from_numpy(seeded_image(shape)), os.path.join(PNG, f"save_image_{name}.png"), **kw)
    ds = tv.datasets.FakeData(**FAKEDATA)
    targets = []
    for i in range(len(ds)):
        img, target = ds[i]
        img.save(os.path.join(PNG, f"fakedata_{i}.png"))
        targets.append(int(target))
    with open(os.path.join(PNG, "fakedata.json"), "w") as f:
        json.dump({"targets": targets, "torchvision": tv.__version__}, f)


def main():
    import torch
    tv = _import_torchvision()
    pngs(tv)
    os.makedirs(OUT, exist_ok=True)
    for name, kwargs, shape, outputs in MODELS:
        model = getattr(tv.models, name)(**kwargs).eval()
        sd = model.state_dict()
        keys_shapes = [(k, list(v.shape)) for k, v in sd.items()]
        data = {"keys_shapes": np.array(json.dumps(keys_shapes)), "kwargs": np.array(json.dumps(kwargs)),
                "torchvision": np.array(tv.__version__)}
        if outputs:
            model.load_state_dict({k: torch.from_numpy(v) for k, v in seeded_state(keys_shapes).items()})
            with torch.no_grad():
                data["output"] = model(torch.from_numpy(seeded_input(shape))).numpy()
            data["input_shape"] = np.array(shape)
        np.savez_compressed(os.path.join(OUT, f"{name}.npz"), **data)
        print(name, len(keys_shapes), "keys", "outputs" if outputs else "")


if __name__ == "__main__":
    main()
