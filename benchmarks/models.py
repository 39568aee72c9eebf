"""Benchmark models written once against the shared API: ``build(nn)`` works with
``ember.nn`` and ``torch.nn`` alike (the point of ember's PyTorch-compatible API)."""


def mlp(nn):
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def two_layer(nn):
    """The lectures' two-layer net: 1000 -> 100 -> 10 with ReLU."""
    return nn.Sequential(nn.Linear(1000, 100), nn.ReLU(), nn.Linear(100, 10))


def cnn(nn):
    """2 conv + BN + pooling + FC on 28x28 (the fashion-cnn shape)."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def cifar10(nn):
    """The lectures' CIFAR-10 network (8 conv layers, see ember.models.cifar10_cnn)."""
    def conv(i, o, k, p, bn):
        layers = [nn.Conv2d(i, o, k, padding=p)]
        if bn:
            layers.append(nn.BatchNorm2d(o))
        layers.append(nn.ReLU())
        return layers
    return nn.Sequential(
        *conv(3, 64, 4, 2, True), *conv(64, 64, 4, 2, False), nn.MaxPool2d(2, 2), nn.Dropout(0.25),
        *conv(64, 64, 4, 2, True), *conv(64, 64, 4, 2, False), nn.MaxPool2d(2, 2), nn.Dropout(0.25),
        *conv(64, 64, 4, 2, True), *conv(64, 64, 3, 0, False), nn.Dropout(0.25),
        *conv(64, 64, 3, 0, True), *conv(64, 64, 3, 0, True), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(64 * 4 * 4, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(), nn.Linear(500, 10))


def resnet18(nn, num_classes=100):
    """ResNet-18 for 32x32 inputs (3x3 stem, no max-pool), as used for CIFAR-100."""
    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + self.shortcut(x))

    layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes)]
    return nn.Sequential(*layers)


def fashion_cnn(nn):
    """The fashion-cnn recipe's network (ember.models.FashionCNN, same layer names): conv 5x5
    + BN + ReLU + pool twice, dropout, FC 256, dropout, FC 10. Written here so that the
    PyTorch process of a benchmark never imports ember."""
    from collections import OrderedDict
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 32, 5, padding=2)), ("bn1", nn.BatchNorm2d(32)),
        ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(32, 64, 5, padding=2)), ("bn2", nn.BatchNorm2d(64)),
        ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()), ("drop1", nn.Dropout(0.3)),
        ("fc1", nn.Linear(64 * 7 * 7, 256)), ("relu3", nn.ReLU()),
        ("drop2", nn.Dropout(0.3)), ("fc2", nn.Linear(256, 10))]))


def fashion_mlp(nn):
    """The fashion-mlp recipe's network (ember.models.MLP(784, (512, 256), 10, dropout=0.2))."""
    from collections import OrderedDict
    return nn.Sequential(OrderedDict([
        ("flatten", nn.Flatten()), ("fc1", nn.Linear(784, 512)), ("relu1", nn.ReLU()),
        ("drop1", nn.Dropout(0.2)), ("fc2", nn.Linear(512, 256)), ("relu2", nn.ReLU()),
        ("drop2", nn.Dropout(0.2)), ("fc3", nn.Linear(256, 10))]))
