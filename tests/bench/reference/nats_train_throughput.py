#!/usr/bin/env python3
"""Images/s of NATS-Bench's own training of one TinyNetwork on the CPU: the reference that
tests/bench/bench_train.cpp (nas train's step and data pipeline) is compared with (README "Speed").

The network, the optimizer and the scheduler are xautodl's own (get_cell_based_tiny_net,
get_optim_scheduler with configs/nas-benchmark/hyper-opts/12E.config); the loop is xautodl's
funcs_nasbench.procedure in training mode with its .cuda() calls left out (procedure itself
requires a GPU); the data pipeline is NATS-Bench's get_datasets transform (HFlip, RandomCrop(32,
padding 4), ToTensor, Normalize) through a torch DataLoader (batch 256, shuffled) over the shared
CIFAR-10 binary batches. Nothing of xautodl is copied: it is imported from a checkout.

  PYTHONPATH=<AutoDL-Projects checkout> python3 nats_train_throughput.py \
      --cifar10 ../shared/data/cifar10 --configs <checkout>/configs/nas-benchmark --threads 2

Prints one JSON line: images/s of the model step alone (fixed random batches) and of the training
pass with data loading (--workers DataLoader processes, default 0).
"""
import argparse
import json
import time

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image

from xautodl.config_utils import load_config
from xautodl.models import get_cell_based_tiny_net
from xautodl.procedures.optimizers import get_optim_scheduler

MEAN = [x / 255 for x in [125.3, 123.0, 113.9]]
STD = [x / 255 for x in [63.0, 62.1, 66.7]]
RESNET_CELL = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"  # tss index 11472


class Cifar10Binary(torch.utils.data.Dataset):
    def __init__(self, folder, transform):
        records = [np.fromfile(f"{folder}/data_batch_{i}.bin", dtype=np.uint8).reshape(-1, 3073) for i in range(1, 6)]
        records = np.concatenate(records)
        self.labels = records[:, 0].astype(np.int64)
        self.images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()  # HWC for PIL
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.images[i])), int(self.labels[i])


def make_network(arch):
    return get_cell_based_tiny_net({"name": "infer.tiny", "C": 16, "N": 5, "arch_str": arch, "num_classes": 10})


def train_steps(network, optimizer, scheduler, criterion, batches, steps):
    """xautodl's procedure(mode='train') on the CPU, for `steps` batches; returns images and seconds."""
    network.train()
    images, started = 0, time.time()
    for i, (inputs, targets) in enumerate(batches):
        if i == steps:
            break
        scheduler.update(None, 1.0 * i / steps)
        optimizer.zero_grad()
        _, logits = network(inputs)
        loss = criterion(logits, targets)
        loss.backward()
        optimizer.step()
        loss.item()
        images += inputs.size(0)
    return images, time.time() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cifar10", required=True)
    parser.add_argument("--configs", required=True, help="AutoDL-Projects configs/nas-benchmark")
    parser.add_argument("--arch", default=RESNET_CELL)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    opt_config = load_config(f"{args.configs}/hyper-opts/12E.config", {"class_num": 10, "xshape": (1, 3, 32, 32)}, None)
    result = {"torch": torch.__version__, "threads": args.threads, "arch": args.arch, "batch": args.batch,
              "workers": args.workers}

    network = make_network(args.arch)
    optimizer, scheduler, criterion = get_optim_scheduler(network.parameters(), opt_config)
    scheduler.update(0, 0.0)
    fixed = [(torch.randn(args.batch, 3, 32, 32), torch.randint(0, 10, (args.batch,))) for _ in range(2)]
    train_steps(network, optimizer, scheduler, criterion, fixed, 2)  # warm-up
    images, seconds = train_steps(network, optimizer, scheduler, criterion, (fixed[i % 2] for i in range(args.steps)), args.steps)
    result["model_step_images_per_s"] = images / seconds

    transform = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(32, padding=4), T.ToTensor(), T.Normalize(MEAN, STD)])
    loader = torch.utils.data.DataLoader(Cifar10Binary(args.cifar10, transform), batch_size=args.batch, shuffle=True,
                                         num_workers=args.workers)
    network = make_network(args.arch)
    optimizer, scheduler, criterion = get_optim_scheduler(network.parameters(), opt_config)
    scheduler.update(0, 0.0)
    images, seconds = train_steps(network, optimizer, scheduler, criterion, iter(loader), args.steps)
    result["training_pass_images_per_s"] = images / seconds
    print(json.dumps(result))


if __name__ == "__main__":
    main()
