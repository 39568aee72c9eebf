"""A small CNN with BatchNorm and pooling on 8x8 images, with flip augmentation and
normalisation from torchvision.transforms, Adam and StepLR."""
import numpy as np
import torch
import torch.nn as nn
from torchvision import transforms

torch.manual_seed(0)
rng = np.random.RandomState(1)
images = rng.rand(32, 1, 8, 8).astype(np.float32)
labels = (images[:, 0, :, :4].mean((1, 2)) > images[:, 0, :, 4:].mean((1, 2))).astype(np.int64)
augment = transforms.Compose([transforms.RandomHorizontalFlip(p=1.0), transforms.Normalize((0.5,), (0.25,))])
plain = transforms.Normalize((0.5,), (0.25,))

net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                    nn.Linear(8, 2))
opt = torch.optim.Adam(net.parameters(), lr=0.01)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
x = torch.from_numpy(images)
t = torch.from_numpy(labels)
for epoch in range(6):
    net.train()
    # flipped copies swap left and right: their label flips too
    xb = torch.cat([torch.stack([plain(img) for img in x]), torch.stack([augment(img) for img in x])])
    yb = torch.cat([t, 1 - t])
    opt.zero_grad()
    loss = nn.functional.cross_entropy(net(xb), yb)
    loss.backward()
    opt.step()
    sched.step()
    print(f"RESULT epoch {epoch} loss {loss.item():.6f} lr {sched.get_last_lr()[0]:.6f}")
net.eval()
with torch.no_grad():
    print(f"RESULT eval_loss {nn.functional.cross_entropy(net(torch.stack([plain(i) for i in x])), t).item():.6f}")
