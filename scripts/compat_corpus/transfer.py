"""Transfer learning: freeze a "pretrained" feature extractor loaded from a .pt checkpoint,
replace and train the classifier head, save and reload the fine-tuned weights."""
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.fc = nn.Linear(24, classes)

    def forward(self, x):
        return self.fc(self.features(x))


folder = tempfile.mkdtemp()
pretrained = Net(10)
torch.save(pretrained.state_dict(), os.path.join(folder, "pretrained.pth"))

model = Net(10)
model.load_state_dict(torch.load(os.path.join(folder, "pretrained.pth"), map_location="cpu"))
for p in model.parameters():
    p.requires_grad = False
model.fc = nn.Linear(model.fc.in_features, 3)  # new head, trainable
opt = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1, momentum=0.9)
rng = np.random.RandomState(2)
x = torch.from_numpy(rng.rand(24, 3, 6, 6).astype(np.float32))
y = torch.from_numpy(rng.randint(0, 3, 24))
for epoch in range(15):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    if epoch % 5 == 4:
        print(f"RESULT epoch {epoch} loss {loss.item():.6f}")
frozen = all(p.grad is None for p in model.features.parameters())
torch.save(model.state_dict(), os.path.join(folder, "finetuned.pt"))
again = Net(3)
again.load_state_dict(torch.load(os.path.join(folder, "finetuned.pt"), weights_only=True))
same = torch.equal(again(x), model(x))
print(f"RESULT frozen {int(frozen)} reloaded_equal {int(same)}")
