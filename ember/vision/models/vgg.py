"""VGG (Simonyan and Zisserman, 2014) and AlexNet with torchvision's module names."""
import ember as torch  # (written so scripts/torch_twin.py can run this file with torch)
from ember import nn
from ember.vision.models._api import Weights, WeightsEnum, build, register_model, resolve

__all__ = ["VGG", "AlexNet", "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
           "vgg19", "vgg19_bn", "AlexNet_Weights"]

_URL = "https://download.pytorch.org/models/"
_CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512,
          512, "M"],
}


class VGG(nn.Module):
    """``features`` (conv stack), 7x7 adaptive average pool, three-layer classifier."""

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def make_layers(cfg, batch_norm=False):
    layers, in_channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            in_channels = v
    return nn.Sequential(*layers)


def _enum(name, file):
    cls = WeightsEnum(name, {"IMAGENET1K_V1": Weights(_URL + file)})
    cls.DEFAULT = cls.IMAGENET1K_V1
    return cls


def _vgg_constructor(name, cfg, bn, file):
    weights_enum = _enum(name.upper().replace("VGG", "VGG").replace("_BN", "_BN") + "_Weights", file)

    def fn(*, weights=None, progress=True, pretrained=None, **kwargs):
        w = resolve(weights, weights_enum, pretrained, kwargs)
        if w is not None:
            kwargs.setdefault("init_weights", False)
        return build(lambda: VGG(make_layers(_CFGS[cfg], batch_norm=bn), **kwargs), w)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"{name} from torchvision (configuration {cfg}{', batch norm' if bn else ''}).\n\n"
                  f"    Args:\n        weights: None, ``{weights_enum.__name__}`` member or name, or a "
                  "path to a state-dict file.\n        **kwargs: ``num_classes``, ``dropout``, ...")
    fn.weights_enum = weights_enum
    return register_model(fn), weights_enum


vgg11, VGG11_Weights = _vgg_constructor("vgg11", "A", False, "vgg11-8a719046.pth")
vgg11_bn, VGG11_BN_Weights = _vgg_constructor("vgg11_bn", "A", True, "vgg11_bn-6002323d.pth")
vgg13, VGG13_Weights = _vgg_constructor("vgg13", "B", False, "vgg13-19584684.pth")
vgg13_bn, VGG13_BN_Weights = _vgg_constructor("vgg13_bn", "B", True, "vgg13_bn-abd245e5.pth")
vgg16, VGG16_Weights = _vgg_constructor("vgg16", "D", False, "vgg16-397923af.pth")
vgg16_bn, VGG16_BN_Weights = _vgg_constructor("vgg16_bn", "D", True, "vgg16_bn-6c64b313.pth")
vgg19, VGG19_Weights = _vgg_constructor("vgg19", "E", False, "vgg19-dcbb9e9d.pth")
vgg19_bn, VGG19_BN_Weights = _vgg_constructor("vgg19_bn", "E", True, "vgg19_bn-c79401a0.pth")
__all__ += ["VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights",
            "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights"]


class AlexNet(nn.Module):
    """torchvision's AlexNet (the one-GPU variant): five convolutions, 6x6 pool, classifier."""

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes))

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


AlexNet_Weights = _enum("AlexNet_Weights", "alexnet-owt-7be5be79.pth")


@register_model
def alexnet(*, weights=None, progress=True, pretrained=None, **kwargs):
    """AlexNet from torchvision. ``weights``: None, ``AlexNet_Weights`` member/name, or a path."""
    w = resolve(weights, AlexNet_Weights, pretrained, kwargs)
    return build(lambda: AlexNet(**kwargs), w)


alexnet.weights_enum = AlexNet_Weights
