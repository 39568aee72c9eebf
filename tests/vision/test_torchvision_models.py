"""ember.vision.models against torchvision, through the saved references in model_refs/
(written by scripts/vision_model_refs.py where torchvision is installed): state-dict keys
and shapes for every model, outputs for regenerated weights where they are small."""
import importlib.util
import json
import os

import numpy as np
import pytest

import ember
from ember.vision import models
from ember.vision.models._api import no_init

HERE = os.path.dirname(os.path.abspath(__file__))
REFS = os.path.join(HERE, "model_refs")
_spec = importlib.util.spec_from_file_location(
    "vision_model_refs", os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "vision_model_refs.py"))
refs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refs)
NAMES = sorted(f[:-4] for f in os.listdir(REFS) if f.endswith(".npz"))


def _ref(name):
    with np.load(os.path.join(REFS, f"{name}.npz")) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_keys_and_shapes_match_torchvision(name):
    ref = _ref(name)
    kwargs = json.loads(str(ref["kwargs"]))
    with no_init():  # shapes only: skip drawing millions of initial values
        model = getattr(models, name)(**kwargs)
    mine = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    assert mine == [tuple(x) for x in json.loads(str(ref["keys_shapes"]))]


@pytest.mark.parametrize("name", [n for n in NAMES if "output" in _ref(n)])
def test_outputs_match_torchvision(name):
    ref = _ref(name)
    kwargs = json.loads(str(ref["kwargs"]))
    keys_shapes = json.loads(str(ref["keys_shapes"]))
    with no_init():
        model = getattr(models, name)(**kwargs)
    model.load_state_dict({k: ember.from_numpy(v) for k, v in refs.seeded_state(keys_shapes).items()})
    model.eval()
    with ember.no_grad():
        out = model(ember.from_numpy(refs.seeded_input(tuple(ref["input_shape"]))))
    np.testing.assert_allclose(out.numpy(), ref["output"], rtol=1e-4, atol=1e-4)


def _seeded_file(path, name="squeezenet1_1"):
    ref = _ref(name)
    state = refs.seeded_state(json.loads(str(ref["keys_shapes"])))
    ember.save({k: ember.from_numpy(v) for k, v in state.items()}, path)  # PyTorch's .pth format
    return ref


def test_weights_from_a_path_and_from_the_local_cache(tmp_path, monkeypatch):
    path = tmp_path / "my-squeezenet.pth"
    ref = _seeded_file(path)
    x = ember.from_numpy(refs.seeded_input(tuple(ref["input_shape"])))
    for model in (models.squeezenet1_1(weights=str(path)), models.squeezenet1_1(weights=path)):
        model.eval()
        np.testing.assert_allclose(model(x).detach().numpy(), ref["output"], rtol=1e-4, atol=1e-4)
    # enum names read torch's cache folder; nothing is downloaded
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cache = tmp_path / "torch" / "hub" / "checkpoints"
    with pytest.raises(FileNotFoundError, match=r"squeezenet1_1-b8a52dc0\.pth.*download\.pytorch\.org"):
        models.squeezenet1_1(weights=models.SqueezeNet1_1_Weights.IMAGENET1K_V1)
    cache.mkdir(parents=True)
    _seeded_file(cache / "squeezenet1_1-b8a52dc0.pth")
    for m in (models.squeezenet1_1(weights="DEFAULT"), models.squeezenet1_1(pretrained=True),
              models.get_model("squeezenet1_1", weights="SqueezeNet1_1_Weights.IMAGENET1K_V1")):
        np.testing.assert_allclose(m.eval()(x).detach().numpy(), ref["output"], rtol=1e-4, atol=1e-4)
    with pytest.raises(FileNotFoundError, match="weights file not found"):
        models.resnet18(weights=str(tmp_path / "missing.pth"))
    with pytest.raises(ValueError, match="num_classes"):
        models.squeezenet1_1(weights="DEFAULT", num_classes=10)


def test_api_names():
    assert {"resnet18", "vgg16_bn", "alexnet", "mobilenet_v2", "squeezenet1_0"} <= set(models.list_models())
    w = models.get_weight("ResNet50_Weights.IMAGENET1K_V2")
    assert w is models.ResNet50_Weights.DEFAULT and w.url.endswith("resnet50-11ad3fa6.pth")
    assert models.get_model_weights("vgg16") is models.VGG16_Weights
    assert models.ResNet18_Weights.IMAGENET1K_V1.meta["num_classes"] == 1000
    t = models.ResNet18_Weights.DEFAULT.transforms()
    assert tuple(t(np.zeros((300, 320, 3), np.uint8)).shape) == (3, 224, 224)
    with pytest.raises(TypeError, match="ResNet18_Weights"):
        models.resnet18(weights="NOPE")
    with no_init():
        m = models.resnet18(num_classes=7)
    assert tuple(m.fc.weight.shape) == (7, 512)
