"""Train the Iranian plate recognizer (:mod:`edge.persian_reader`) and export it to ONNX.

Run by ``make train-models``.  The crops come from :func:`train.scenes.plate_crop`:
six in ten are Iranian plates, the rest other plates with an empty label, so the
network learns to say nothing about a plate that is not Iranian.  No outside image or
weight goes in.

Writes ``edge/models/persian_rec.onnx`` and ``persian_rec.json`` (seeds, steps,
held-out exact rate and false reads, commit).
"""

from __future__ import annotations

import multiprocessing
import time

import numpy as np
import torch
from torch import nn

from edge.ctc import best_path
from edge.persian_reader import CHARS, FRAMES, HEIGHT, MODEL, WIDTH
from train.common import Schedule, conv, parser, write_provenance
from train.scenes import plate_crop

TRAIN_SEEDS = range(3_000_000, 3_000_000 + 40_000)
HELD_OUT_SEEDS = range(4_000_000, 4_000_000 + 1000)


def dataset(seeds: range, workers: int) -> tuple[np.ndarray, list[str]]:
    """Crops and labels for ``seeds``, generated on ``workers`` processes."""
    with multiprocessing.Pool(workers) as pool:
        pairs = pool.map(plate_crop, seeds, chunksize=256)
    return np.stack([p[0] for p in pairs]), [p[1] for p in pairs]


class PersianNet(nn.Module):
    """(B, 1, 32, 128) grey crops to (B, 1 + len(CHARS), 1, 32) logits: 32 CTC frames."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv(1, 32),
            nn.MaxPool2d(2),
            conv(32, 64),
            nn.MaxPool2d(2),
            conv(64, 96),
            conv(96, 96),
            nn.MaxPool2d((2, 1)),
            conv(96, 128),
            nn.MaxPool2d((4, 1)),
        )
        # Per-frame layers only: a wider view let the first run emit the first four
        # characters from the band's pixels before the letter was in sight, a CTC
        # alignment it never left (held-out exact 2%).  With 34 px of view per frame
        # (about three characters) each one must be read where it stands.
        self.sequence = nn.Sequential(
            nn.Conv2d(128, 128, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 1 + len(CHARS), 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.sequence(self.body(x))
        return out


def as_input(crops: np.ndarray) -> torch.Tensor:
    """uint8 crops (B, H, W) to the network's float input, as :func:`prepare` scales it."""
    return torch.from_numpy(crops.astype(np.float32) / 127.5 - 1)[:, None]


def decode(logits: torch.Tensor) -> list[str]:
    """Greedy CTC text of each crop in a batch of logits."""
    log_probs = torch.log_softmax(logits[:, :, 0], dim=1).permute(0, 2, 1).numpy()
    return ["".join(CHARS[c - 1] for c in best_path(lp)[0]) for lp in log_probs]


def held_out(net: PersianNet, crops: np.ndarray, labels: list[str]) -> tuple[float, float]:
    """Exact reads of held-out Iranian plates, and the share of other plates read as text."""
    net.eval()
    with torch.no_grad():
        read = decode(net(as_input(crops)))
    net.train()
    iranian = [r == t for r, t in zip(read, labels, strict=True) if t]
    false = [r != "" for r, t in zip(read, labels, strict=True) if not t]
    return sum(iranian) / len(iranian), sum(false) / len(false)


def main(argv: list[str] | None = None) -> int:
    """Entry point (``make train-models``)."""
    p = parser(__doc__ or "", minutes=30, batch=64, out=MODEL)
    p.add_argument("--crops", type=int, default=len(TRAIN_SEEDS), help="training crops")
    args = p.parse_args(argv)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    workers = max(1, multiprocessing.cpu_count())
    started = time.monotonic()
    crops, labels = dataset(TRAIN_SEEDS[: args.crops], workers)
    held_crops, held_labels = dataset(HELD_OUT_SEEDS, workers)
    print(f"generated {len(crops)} + {len(held_crops)} crops in {time.monotonic() - started:.0f} s")
    index = {c: i + 1 for i, c in enumerate(CHARS)}
    net = PersianNet()
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    optimiser = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    schedule, losses = Schedule(2e-3, args.steps, args.minutes), []
    while schedule.next(optimiser):
        pick = rng.integers(0, len(crops), args.batch)
        targets = [[index[c] for c in labels[i]] for i in pick]
        logits = net(as_input(crops[pick]))[:, :, 0]  # (B, C, T)
        log_probs = torch.log_softmax(logits, dim=1).permute(2, 0, 1)  # (T, B, C)
        loss = ctc(
            log_probs,
            torch.tensor([c for t in targets for c in t], dtype=torch.long),
            torch.full((args.batch,), FRAMES, dtype=torch.long),
            torch.tensor([len(t) for t in targets], dtype=torch.long),
        )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
        if schedule.step % 200 == 0:
            exact, false = held_out(net, held_crops, held_labels)
            print(f"  step {schedule.step}  loss {np.mean(losses[-200:]):.3f}  held-out exact "
                  f"{exact:.3f}  false reads {false:.3f}", flush=True)  # fmt: skip
    exact, false = held_out(net, held_crops, held_labels)
    print(f"held-out: {exact:.3f} exact, {false:.3f} false reads, after {schedule.step} steps")
    net.eval()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        net,
        (torch.zeros(1, 1, HEIGHT, WIDTH),),
        str(args.out),
        input_names=["x"],
        output_names=["logits"],
        opset_version=17,
        dynamo=False,
    )
    write_provenance(
        args.out, net, "train/persian.py",
        train_seeds=[TRAIN_SEEDS.start, TRAIN_SEEDS.start + args.crops],
        held_out_seeds=[HELD_OUT_SEEDS.start, HELD_OUT_SEEDS.stop], steps=schedule.step,
        batch=args.batch, final_loss=round(float(np.mean(losses[-200:])), 4),
        held_out_exact=round(exact, 4), held_out_false_reads=round(false, 4),
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
