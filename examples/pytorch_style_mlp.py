"""A course-style PyTorch training script, run by ember through `import ember as torch`.

Trains a 784-256-10 MLP on the embedded MNIST sample with DataLoader, SGD with momentum
and a step schedule, then evaluates. Only the import lines differ from PyTorch.
"""
import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms


def main(epochs=3):
    torch.manual_seed(0)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNISTSample(train=True, transform=tf)
    test = datasets.MNISTSample(train=False, transform=tf)
    train_loader = DataLoader(train, batch_size=64, shuffle=True)
    test_loader = DataLoader(test, batch_size=500)

    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)

    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in test_loader:
                correct += (model(x).argmax(1) == y).sum().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}, test accuracy {100 * correct / len(test):.2f}%")
    return correct / len(test)


if __name__ == "__main__":
    main()
