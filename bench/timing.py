"""Timing shared by the benchmarks: calls measured in turn, so machine noise hits all alike."""
import statistics
import time

import torch


def seconds(call, device):
    """Wall time of call(), waiting for the GPU's queued work when device is "cuda"."""
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    call()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def alternating_medians(calls, device, repeats, warmup=3):
    """Median seconds of each zero-argument call, the calls taking turns after `warmup` rounds."""
    for _ in range(warmup):
        for call in calls:
            call()
    times = [[] for _ in calls]
    for _ in range(repeats):
        for k, call in enumerate(calls):
            times[k].append(seconds(call, device))
    return [statistics.median(t) for t in times]


def add_device_argument(parser):
    """Give a benchmark's parser --device: cpu, cuda, or all (every device present, the default)."""
    parser.add_argument("--device", choices=("all", "cpu", "cuda"), default="all",
                        help="time on this device only (default: every device present)")


def chosen_devices(choice):
    """The devices a benchmark times for --device `choice`; a device that is absent is an error."""
    present = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if choice == "all":
        return present
    if choice not in present:
        raise SystemExit(f"--device {choice}: torch sees no such device on this machine")
    return [choice]
