"""Train the project's plate detector on generated frames and export it to ONNX.

Run ``make train-models`` (PyTorch in its own ``.venv-train``; the edge never needs
it).  Writes ``edge/models/plate_det.onnx`` and ``plate_det.json``: the seeds, the
number of frames and steps, the final losses, the held-out recall and the commit, so
that anyone can make the same model again and see where it came from.  All training
data comes from :mod:`train.scenes`; no outside image or weight goes in, so the
model is the project's own (Apache-2.0 like the rest).

The network: a stride-16 encoder of plain 3x3 convolutions (dilated at the deep end
so one cell sees a whole plate and its surroundings), a two-step decoder back to
stride 4 with skips, one logit per cell.  About 0.5 GMAC at 512 x 288.
"""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from edge.plate_detector import MAX_SIDE, MODEL, OUT_STRIDE, boxes_from_map, covers, prepare
from train.common import Schedule, conv, parser, write_provenance
from train.scenes import frame_with_mask

TRAIN_SEEDS = range(1_000_000, 1_000_000 + 6000)
HELD_OUT_SEEDS = range(2_000_000, 2_000_000 + 300)
CROP = 256


class PlateNet(nn.Module):
    """Frame (1, 3, H, W), H and W multiples of 16, to plate logits (1, 1, H/4, W/4)."""

    def __init__(self) -> None:
        super().__init__()
        self.s4 = nn.Sequential(conv(3, 16, 2), conv(16, 32, 2), conv(32, 32))
        self.s8 = nn.Sequential(conv(32, 64, 2), conv(64, 64, dilation=2))
        self.s16 = nn.Sequential(
            conv(64, 96, 2), conv(96, 96, dilation=2), conv(96, 96, dilation=4)
        )
        self.up8 = nn.Sequential(nn.Conv2d(160, 48, 1), conv(48, 48))
        self.up4 = nn.Sequential(nn.Conv2d(80, 24, 1), conv(24, 24))
        self.head = nn.Conv2d(24, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f4 = self.s4(x)
        f8 = self.s8(f4)
        f16 = self.s16(f8)
        u8 = self.up8(torch.cat([F.interpolate(f16, scale_factor=2.0), f8], 1))
        u4 = self.up4(torch.cat([F.interpolate(u8, scale_factor=2.0), f4], 1))
        out: torch.Tensor = self.head(u4)
        return out


def sample(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One frame as the network sees it (3, H, W) float16 and its target map (H/4, W/4)."""
    frame, mask = frame_with_mask(seed)
    x, scale = prepare(frame, MAX_SIDE)
    h, w = x.shape[2] // OUT_STRIDE, x.shape[3] // OUT_STRIDE
    target = np.zeros((h, w), np.float32)
    mh, mw = round(mask.shape[0] * scale / OUT_STRIDE), round(mask.shape[1] * scale / OUT_STRIDE)
    small = cv2.resize(mask, (mw, mh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    target[:mh, :mw] = small
    return x[0].astype(np.float16), target


def dataset(seeds: range, workers: int) -> tuple[np.ndarray, np.ndarray]:
    """All frames of ``seeds``, generated on ``workers`` processes, with progress."""
    xs, ys = [], []
    started = time.monotonic()
    with multiprocessing.Pool(workers) as pool:
        for i, (x, y) in enumerate(pool.imap(sample, seeds, chunksize=16), 1):
            xs.append(x)
            ys.append(y)
            if i % 500 == 0 or i == len(seeds):
                print(f"  frames {i}/{len(seeds)}  {time.monotonic() - started:.0f} s", flush=True)
    return np.stack(xs), np.stack(ys)


def batch(xs: np.ndarray, ys: np.ndarray, size: int, rng: np.random.Generator) -> tuple[Any, Any]:
    """Random CROP x CROP windows, biased towards the plate, as tensors."""
    pick = rng.integers(0, len(xs), size)
    h, w = xs.shape[2], xs.shape[3]
    cx, cy = [], []
    for i in pick:
        top = int(rng.integers(0, (h - CROP) // OUT_STRIDE + 1)) * OUT_STRIDE
        left = int(rng.integers(0, (w - CROP) // OUT_STRIDE + 1)) * OUT_STRIDE
        cells = np.argwhere(ys[i] > 0.5)
        if len(cells) and rng.random() < 0.8:  # most windows hold the plate
            r, c = cells[len(cells) // 2] * OUT_STRIDE
            top = int(np.clip(r - rng.integers(16, CROP - 16), 0, h - CROP)) // 4 * 4
            left = int(np.clip(c - rng.integers(16, CROP - 16), 0, w - CROP)) // 4 * 4
        cx.append(xs[i, :, top : top + CROP, left : left + CROP])
        t, s = top // OUT_STRIDE, left // OUT_STRIDE
        cy.append(ys[i, t : t + CROP // OUT_STRIDE, s : s + CROP // OUT_STRIDE])
    x = torch.from_numpy(np.stack(cx).astype(np.float32))
    y = torch.from_numpy(np.stack(cy))[:, None]
    return x, y


def loss_of(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy (plates are few cells: positives weighted up) plus soft Dice."""
    bce = F.binary_cross_entropy_with_logits(logits, target, pos_weight=torch.tensor(4.0))
    prob = torch.sigmoid(logits)
    dice = 1 - (2 * (prob * target).sum() + 1) / (prob.sum() + target.sum() + 1)
    return bce + dice


def held_out_recall(net: PlateNet, xs: np.ndarray, ys: np.ndarray) -> float:
    """Share of held-out plates that a found box covers (:func:`covers`, as the benchmark)."""
    net.eval()
    hits = total = 0
    with torch.no_grad():
        for x, y in zip(xs, ys, strict=True):
            cells = np.argwhere(y > 0.5)
            if not len(cells):
                continue
            total += 1
            logits = net(torch.from_numpy(x[None].astype(np.float32)))[0, 0].numpy()
            (top, left), (bottom, right) = cells.min(axis=0), cells.max(axis=0) + 1
            plate = (left * 4, top * 4, (right - left) * 4, (bottom - top) * 4)
            boxes = boxes_from_map(1 / (1 + np.exp(-logits)), 1.0)
            hits += any(covers(plate, b.bbox) for b in boxes)
    net.train()
    return hits / max(total, 1)


def export(net: PlateNet, path: Path) -> None:
    """ONNX with free height and width, input named ``x`` like the OCR models."""
    net.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        net,
        (torch.zeros(1, 3, 288, 512),),
        str(path),
        input_names=["x"],
        output_names=["logits"],
        dynamic_axes={"x": {2: "h", 3: "w"}, "logits": {2: "h4", 3: "w4"}},
        opset_version=17,
        dynamo=False,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``make train-models``."""
    p = parser(__doc__ or "", minutes=20, batch=16, out=MODEL)
    p.add_argument("--frames", type=int, default=len(TRAIN_SEEDS), help="training frames")
    args = p.parse_args(argv)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    workers = max(1, multiprocessing.cpu_count())
    print(f"generating {args.frames} training frames on {workers} processes", flush=True)
    xs, ys = dataset(TRAIN_SEEDS[: args.frames], workers)
    print(f"generating {len(HELD_OUT_SEEDS)} held-out frames", flush=True)
    vx, vy = dataset(HELD_OUT_SEEDS, workers)
    net = PlateNet()
    optimiser = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    schedule, losses = Schedule(3e-3, args.steps, args.minutes), []
    while schedule.next(optimiser):
        x, y = batch(xs, ys, args.batch, rng)
        loss = loss_of(net(x), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
        if schedule.step % 100 == 0:
            print(f"  step {schedule.step}  loss {np.mean(losses[-100:]):.3f}", flush=True)
    recall = held_out_recall(net, vx, vy)
    print(f"held-out recall {recall:.3f} after {schedule.step} steps", flush=True)
    export(net, args.out)
    write_provenance(
        args.out, net, "train/detector.py",
        train_seeds=[TRAIN_SEEDS.start, TRAIN_SEEDS.start + args.frames],
        held_out_seeds=[HELD_OUT_SEEDS.start, HELD_OUT_SEEDS.stop], steps=schedule.step,
        batch=args.batch, crop=CROP, final_loss=round(float(np.mean(losses[-200:])), 4),
        held_out_recall=round(recall, 4),
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
