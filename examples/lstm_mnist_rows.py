"""A sequence classifier as course homework writes it: an LSTM reads each MNIST image
row by row (28 steps of 28 pixels) and classifies the digit from its last hidden state.
Runs on ember through `import ember as torch` (only the import lines differ from
PyTorch), on the embedded MNIST sample (7,996 training / 2,004 test digits).

    python examples/lstm_mnist_rows.py            # 5 epochs, about a minute or two
"""
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset
from ember.vision.datasets import load_mnist_sample


class RowLSTM(nn.Module):
    def __init__(self, hidden=128, layers=1):
        super().__init__()
        self.lstm = nn.LSTM(28, hidden, num_layers=layers, batch_first=True)
        self.fc = nn.Linear(hidden, 10)

    def forward(self, x):                 # x: (N, 28, 28), rows as time steps
        _, (h_n, _) = self.lstm(x)
        return self.fc(h_n[-1])


def _data(split, limit=None):
    x, y = load_mnist_sample(split)
    x = (torch.from_numpy(x[:limit]).float() / 255.0 - 0.1307) / 0.3081
    return TensorDataset(x, torch.from_numpy(y[:limit]))


def main(epochs=5, limit_train=None, limit_test=None, hidden=128):
    torch.manual_seed(0)
    train, test = _data("train", limit_train), _data("test", limit_test)
    train_loader = DataLoader(train, batch_size=64, shuffle=True)
    test_loader = DataLoader(test, batch_size=500)
    model = RowLSTM(hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in test_loader:
                correct += (model(x).argmax(1) == y).sum().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}, test accuracy {100 * correct / len(test):.2f}% "
              f"({time.perf_counter() - t0:.0f} s)")
    return correct / len(test)


if __name__ == "__main__":
    main()
