"""ember.vision.models: torchvision's model constructors, module and parameter names, so
torchvision state dicts load unchanged (``from ember.vision import models``).

``weights=`` takes None (random init), a path to a weights file (e.g. torchvision's
published ``resnet18-f37072fd.pth``), or the enum-like names (``ResNet18_Weights.DEFAULT``,
``"IMAGENET1K_V1"``), read from torch's local cache (``~/.cache/torch/hub/checkpoints``):
nothing is downloaded. ``pretrained=True`` is the legacy spelling of the default weights.
"""
from ._api import (WeightsEnum, get_model, get_model_weights, get_weight, list_models,  # noqa: F401
                   WeightsNotFoundError)
from .resnet import (BasicBlock, Bottleneck, ResNet, ResNet18_Weights, ResNet34_Weights,  # noqa: F401
                     ResNet50_Weights, ResNet101_Weights, ResNet152_Weights, resnet18, resnet34,
                     resnet50, resnet101, resnet152, resnext50_32x4d, wide_resnet50_2)
from .squeezenet import (Fire, InvertedResidual, MobileNet_V2_Weights, MobileNetV2,  # noqa: F401
                         SqueezeNet, SqueezeNet1_0_Weights, SqueezeNet1_1_Weights, mobilenet_v2,
                         squeezenet1_0, squeezenet1_1)
from .vgg import *  # noqa: F401,F403
from .vgg import __all__ as _vgg_all

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50", "resnet101",
           "resnet152", "resnext50_32x4d", "wide_resnet50_2", "ResNet18_Weights", "ResNet34_Weights",
           "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights", "SqueezeNet", "Fire",
           "squeezenet1_0", "squeezenet1_1", "SqueezeNet1_0_Weights", "SqueezeNet1_1_Weights",
           "MobileNetV2", "InvertedResidual", "mobilenet_v2", "MobileNet_V2_Weights", "get_model",
           "get_model_weights", "get_weight", "list_models", "WeightsEnum"] + list(_vgg_all)
