"""A character-level GRU language model with gradient clipping and Adam."""
import torch
import torch.nn as nn

torch.manual_seed(0)
text = "hello world, hello ember, hello torch. "
chars = sorted(set(text))
idx = torch.tensor([chars.index(c) for c in text])


class CharRNN(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, 8)
        self.rnn = nn.GRU(8, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, h=None):
        y, h = self.rnn(self.embed(x), h)
        return self.out(y), h


model = CharRNN(len(chars), 16)
opt = torch.optim.Adam(model.parameters(), lr=0.02)
inputs, targets = idx[:-1].unsqueeze(0), idx[1:].unsqueeze(0)
for step in range(30):
    opt.zero_grad()
    logits, _ = model(inputs)
    loss = nn.functional.cross_entropy(logits.reshape(-1, len(chars)), targets.reshape(-1))
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 10 == 9:
        print(f"RESULT step {step} loss {loss.item():.6f} grad_norm {float(norm):.6f}")
