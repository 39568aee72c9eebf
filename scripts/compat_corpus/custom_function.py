"""A custom autograd Function (ctx, save_for_backward, gradcheck) inside a regression model."""
import torch


class ClampedExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.exp(x.clamp(max=3.0))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return grad_output * y * (x <= 3.0).to(y.dtype)


torch.manual_seed(0)
x64 = torch.randn(5, dtype=torch.float64, requires_grad=True)
print("RESULT gradcheck", float(torch.autograd.gradcheck(ClampedExp.apply, (x64,))))
x = torch.linspace(-1, 1, 50).unsqueeze(1)
target = 0.5 * torch.exp(1.5 * x)
w = torch.zeros(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([w, b], lr=0.05)
for step in range(40):
    opt.zero_grad()
    pred = ClampedExp.apply(x * w + b)
    loss = ((pred - target) ** 2).mean()
    loss.backward()
    opt.step()
    if step % 10 == 9:
        print(f"RESULT step {step} loss {loss.item():.6f}")
print(f"RESULT w {w.item():.6f} b {b.item():.6f}")
