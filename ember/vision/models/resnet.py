"""ResNet (He et al., 2015) with torchvision's module names, so its state dicts load unchanged.

Also the small-input stem the CIFAR recipes use (``small_input=True``: a 3x3 stride-1
first convolution and no max-pool). Imports are absolute (``from ember import nn``) so
``scripts/torch_twin.py`` can run this very file with torch for the parity tests.
"""
import ember as torch  # (written so scripts/torch_twin.py can run this file with torch)
from ember import nn
from ember.vision.models._api import Weights, WeightsEnum, build, register_model, resolve

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50", "resnet101",
           "resnet152", "resnext50_32x4d", "wide_resnet50_2", "ResNet18_Weights", "ResNet34_Weights",
           "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights"]

_URL = "https://download.pytorch.org/models/"


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a shortcut (ResNet-18/34)."""
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (stride here, as torchvision's "ResNet V1.5"), 1x1 expand (ResNet-50+)."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision's ResNet: stem (7x7 conv, max-pool), four stages, global average pool, fc.

    Args:
        block: ``BasicBlock`` or ``Bottleneck``. layers (list of 4 ints): blocks per stage.
        num_classes (int). zero_init_residual (bool): start each block's last BN at zero.
        groups, width_per_group: ResNeXt / wide variants. replace_stride_with_dilation.
        small_input (bool): ember extension for 32x32 images: 3x3 stride-1 stem, no max-pool.
        in_channels (int): input channels (3; 1 for grey images).
    """

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1,
                 width_per_group=64, replace_stride_with_dilation=None, norm_layer=None, *,
                 small_input=False, in_channels=3):
        super().__init__()
        if len(layers) != 4:
            raise ValueError(f"ResNet: layers must list 4 stage sizes (blocks per stage), got "
                             f"{list(layers)}")
        norm_layer = norm_layer or nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes, self.dilation = 64, 1
        replace_stride_with_dilation = replace_stride_with_dilation or [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element tuple, got "
                             f"{replace_stride_with_dilation}")
        self.groups, self.base_width = groups, width_per_group
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=3, stride=1, padding=1,
                                   bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2, padding=3,
                                   bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2, replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _enum(name, v1, v2=None):
    members = {"IMAGENET1K_V1": Weights(_URL + v1)}
    if v2:
        members["IMAGENET1K_V2"] = Weights(_URL + v2, resize_size=232)
    cls = WeightsEnum(name, members)
    cls.DEFAULT = cls["IMAGENET1K_V2" if v2 else "IMAGENET1K_V1"]
    return cls


ResNet18_Weights = _enum("ResNet18_Weights", "resnet18-f37072fd.pth")
ResNet34_Weights = _enum("ResNet34_Weights", "resnet34-b627a593.pth")
ResNet50_Weights = _enum("ResNet50_Weights", "resnet50-0676ba61.pth", "resnet50-11ad3fa6.pth")
ResNet101_Weights = _enum("ResNet101_Weights", "resnet101-63fe2227.pth", "resnet101-cd907fc2.pth")
ResNet152_Weights = _enum("ResNet152_Weights", "resnet152-394f9c45.pth", "resnet152-f82ba261.pth")
ResNeXt50_32X4D_Weights = _enum("ResNeXt50_32X4D_Weights", "resnext50_32x4d-7cdf4587.pth",
                                "resnext50_32x4d-1a0047aa.pth")
Wide_ResNet50_2_Weights = _enum("Wide_ResNet50_2_Weights", "wide_resnet50_2-95faca4d.pth",
                                "wide_resnet50_2-9ba9bcbe.pth")


def _resnet(block, layers, weights_enum, weights, pretrained, kwargs):
    w = resolve(weights, weights_enum, pretrained, kwargs)
    return build(lambda: ResNet(block, layers, **kwargs), w)


def _constructor(name, block, layers, weights_enum, extra=None):
    def fn(*, weights=None, progress=True, pretrained=None, **kwargs):
        kwargs = dict(extra or {}, **kwargs)
        return _resnet(block, layers, weights_enum, weights, pretrained, kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"{name} from torchvision (layers {layers}).\n\n    Args:\n        weights: None, "
                  f"``{weights_enum.__name__}`` member or name, or a path to a state-dict file.\n"
                  "        pretrained (bool): legacy spelling of ``weights=DEFAULT``.\n"
                  "        **kwargs: ``num_classes``, ``zero_init_residual``, ... (see ``ResNet``).")
    fn.weights_enum = weights_enum
    return register_model(fn)


resnet18 = _constructor("resnet18", BasicBlock, [2, 2, 2, 2], ResNet18_Weights)
resnet34 = _constructor("resnet34", BasicBlock, [3, 4, 6, 3], ResNet34_Weights)
resnet50 = _constructor("resnet50", Bottleneck, [3, 4, 6, 3], ResNet50_Weights)
resnet101 = _constructor("resnet101", Bottleneck, [3, 4, 23, 3], ResNet101_Weights)
resnet152 = _constructor("resnet152", Bottleneck, [3, 8, 36, 3], ResNet152_Weights)
resnext50_32x4d = _constructor("resnext50_32x4d", Bottleneck, [3, 4, 6, 3], ResNeXt50_32X4D_Weights,
                               {"groups": 32, "width_per_group": 4})
wide_resnet50_2 = _constructor("wide_resnet50_2", Bottleneck, [3, 4, 6, 3], Wide_ResNet50_2_Weights,
                               {"width_per_group": 128})
