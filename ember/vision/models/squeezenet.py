"""SqueezeNet 1.0 / 1.1 and MobileNetV2 with torchvision's module names."""
import ember as torch  # (written so scripts/torch_twin.py can run this file with torch)
from ember import nn
from ember.vision.models._api import Weights, WeightsEnum, build, register_model, resolve

__all__ = ["SqueezeNet", "Fire", "squeezenet1_0", "squeezenet1_1", "MobileNetV2", "InvertedResidual",
           "Conv2dNormActivation", "mobilenet_v2", "SqueezeNet1_0_Weights", "SqueezeNet1_1_Weights",
           "MobileNet_V2_Weights"]

_URL = "https://download.pytorch.org/models/"


class Fire(nn.Module):
    """Squeeze (1x1) then expand with parallel 1x1 and 3x3 convolutions, concatenated."""

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    """torchvision's SqueezeNet (``version`` "1_0" or "1_1"); the classifier is a 1x1 conv."""

    def __init__(self, version="1_0", num_classes=1000, dropout=0.5):
        super().__init__()
        self.num_classes = num_classes
        pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)  # noqa: E731
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256), pool(), Fire(512, 64, 256, 256))
        elif version == "1_1":
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
                Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
                Fire(512, 64, 256, 256))
        else:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")
        final_conv = nn.Conv2d(512, self.num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


def _make_divisible(v, divisor, min_value=None):
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class Conv2dNormActivation(nn.Sequential):
    """Conv2d, BatchNorm2d, activation (keys ``0``, ``1``, ``2`` as torchvision's)."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=None, activation_layer=None, dilation=1, inplace=True, bias=None):
        padding = (kernel_size - 1) // 2 * dilation if padding is None else padding
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        activation_layer = nn.ReLU if activation_layer is None else activation_layer
        bias = norm_layer is None if bias is None else bias
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation,
                            groups=groups, bias=bias), norm_layer(out_channels)]
        if activation_layer is not None:
            layers.append(activation_layer(inplace=inplace))
        super().__init__(*layers)
        self.out_channels = out_channels


class InvertedResidual(nn.Module):
    """Expand (1x1), depthwise 3x3, project (1x1, linear); a shortcut when shapes allow."""

    def __init__(self, inp, oup, stride, expand_ratio, norm_layer=None):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers += [Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim,
                                        norm_layer=norm_layer, activation_layer=nn.ReLU6),
                   nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False), norm_layer(oup)]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """torchvision's MobileNetV2 (``width_mult``, ``round_nearest``, ``dropout``)."""

    def __init__(self, num_classes=1000, width_mult=1.0, inverted_residual_setting=None,
                 round_nearest=8, block=None, norm_layer=None, dropout=0.2):
        super().__init__()
        block = InvertedResidual if block is None else block
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        setting = inverted_residual_setting or [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2],
                                                [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
                                                [6, 320, 1, 1]]
        if len(setting) == 0 or len(setting[0]) != 4:
            raise ValueError(f"inverted_residual_setting should be non-empty or a 4-element list, "
                             f"got {setting}")
        input_channel = _make_divisible(32 * width_mult, round_nearest)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features = [Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer,
                                         activation_layer=nn.ReLU6)]
        for t, c, n, s in setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(input_channel, output_channel, s if i == 0 else 1,
                                      expand_ratio=t, norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1,
                                             norm_layer=norm_layer, activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


def _enum(name, members, default):
    cls = WeightsEnum(name, {k: Weights(_URL + f, **kw) for k, (f, kw) in members.items()})
    cls.DEFAULT = cls[default]
    return cls


SqueezeNet1_0_Weights = _enum("SqueezeNet1_0_Weights", {"IMAGENET1K_V1": ("squeezenet1_0-b66bff10.pth", {})},
                              "IMAGENET1K_V1")
SqueezeNet1_1_Weights = _enum("SqueezeNet1_1_Weights", {"IMAGENET1K_V1": ("squeezenet1_1-b8a52dc0.pth", {})},
                              "IMAGENET1K_V1")
MobileNet_V2_Weights = _enum("MobileNet_V2_Weights",
                             {"IMAGENET1K_V1": ("mobilenet_v2-b0353104.pth", {}),
                              "IMAGENET1K_V2": ("mobilenet_v2-7ebf99e0.pth", {"resize_size": 232})},
                             "IMAGENET1K_V2")


@register_model
def squeezenet1_0(*, weights=None, progress=True, pretrained=None, **kwargs):
    """SqueezeNet 1.0 from torchvision. ``weights``: None, enum member/name, or a path."""
    w = resolve(weights, SqueezeNet1_0_Weights, pretrained, kwargs)
    return build(lambda: SqueezeNet("1_0", **kwargs), w)


@register_model
def squeezenet1_1(*, weights=None, progress=True, pretrained=None, **kwargs):
    """SqueezeNet 1.1 (2.4x less computation than 1.0, same accuracy) from torchvision."""
    w = resolve(weights, SqueezeNet1_1_Weights, pretrained, kwargs)
    return build(lambda: SqueezeNet("1_1", **kwargs), w)


@register_model
def mobilenet_v2(*, weights=None, progress=True, pretrained=None, **kwargs):
    """MobileNetV2 from torchvision. ``weights``: None, enum member/name, or a path."""
    w = resolve(weights, MobileNet_V2_Weights, pretrained, kwargs)
    return build(lambda: MobileNetV2(**kwargs), w)


squeezenet1_0.weights_enum = SqueezeNet1_0_Weights
squeezenet1_1.weights_enum = SqueezeNet1_1_Weights
mobilenet_v2.weights_enum = MobileNet_V2_Weights
