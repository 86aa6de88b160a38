"""Writes test/fixtures/rnn-torch.json: small seeded torch.nn.RNN/LSTM/GRU modules (state dicts), inputs,
initial states, outputs, final states, and the gradients of sum(output*gy) + sum(h*gh) [+ sum(c*gc)] with
respect to the input and every parameter. Run with /usr/bin/python3 (torch 1.13); the tests only read the JSON."""
import json
import torch

torch.manual_seed(0)
r = lambda t: [round(float(v), 7) for v in t.detach().reshape(-1).tolist()]

cases = [
    dict(kind="LSTM", I=3, H=4, L=2, bidirectional=True, batch_first=False, T=5, B=2),
    dict(kind="GRU", I=4, H=3, L=1, bidirectional=False, batch_first=True, T=6, B=3),
    dict(kind="RNN", I=2, H=5, L=2, bidirectional=True, batch_first=False, T=4, B=1, nonlinearity="tanh"),
    dict(kind="RNN", I=3, H=3, L=1, bidirectional=False, batch_first=True, T=3, B=2, nonlinearity="relu"),
    dict(kind="GRU", I=3, H=4, L=2, bidirectional=True, batch_first=False, T=4, B=2, bias=False),
]
out = []
for c in cases:
    kw = dict(num_layers=c["L"], bidirectional=c["bidirectional"], batch_first=c["batch_first"], bias=c.get("bias", True))
    if c["kind"] == "RNN":
        kw["nonlinearity"] = c["nonlinearity"]
    m = getattr(torch.nn, c["kind"])(c["I"], c["H"], **kw).double()
    D = 2 if c["bidirectional"] else 1
    x = torch.randn(*((c["B"], c["T"]) if c["batch_first"] else (c["T"], c["B"])), c["I"], dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(c["L"] * D, c["B"], c["H"], dtype=torch.float64)
    if c["kind"] == "LSTM":
        c0 = torch.randn(c["L"] * D, c["B"], c["H"], dtype=torch.float64)
        y, (h, cn) = m(x, (h0, c0))
    else:
        y, h = m(x, h0)
    gy, gh = torch.randn_like(y), torch.randn_like(h)
    loss = (y * gy).sum() + (h * gh).sum()
    rec = dict(case=c, state={k: dict(shape=list(v.shape), data=r(v)) for k, v in m.state_dict().items()},
               x=dict(shape=list(x.shape), data=r(x)), h0=r(h0), y=dict(shape=list(y.shape), data=r(y)), h=r(h),
               gy=r(gy), gh=r(gh))
    if c["kind"] == "LSTM":
        gc = torch.randn_like(cn)
        loss = loss + (cn * gc).sum()
        rec.update(c0=r(c0), c=r(cn), gc=r(gc))
    loss.backward()
    rec["grads"] = {k: r(p.grad) for k, p in m.named_parameters()}
    rec["gx"] = r(x.grad)
    out.append(rec)
json.dump(out, open("test/fixtures/rnn-torch.json", "w"))
