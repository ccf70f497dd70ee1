"""Kernel latency, qualkit beside ipykernel on the same machine: time from starting a kernel
to its first kernel_info reply, and the round trip of a trivial cell (execute_request to the
reply and the idle status). Prints medians and the ratio. Run through benches/kernel.sh."""

import statistics
import sys
import time

from jupyter_client.manager import KernelManager

STARTS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
CELLS = int(sys.argv[2]) if len(sys.argv) > 2 else 300


def start_time(kernel_name):
    times = []
    for _ in range(STARTS):
        km = KernelManager(kernel_name=kernel_name)
        began = time.perf_counter()
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        times.append(time.perf_counter() - began)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return statistics.median(times)


def round_trip(kernel_name):
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    times = []
    for i in range(CELLS + 20):
        began = time.perf_counter()
        kc.execute_interactive("1", timeout=60, output_hook=lambda _: None)
        if i >= 20:  # the first cells warm up both kernels
            times.append(time.perf_counter() - began)
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return statistics.median(times)


rows = []
for name in ("qualkit", "python3"):
    rows.append((name, start_time(name), round_trip(name)))
print(f"{'kernel':<10} {'start to kernel_info (ms)':>26} {'trivial cell round trip (ms)':>30}")
for name, start, trip in rows:
    print(f"{name:<10} {start * 1000:>26.1f} {trip * 1000:>30.2f}")
(_, qs, qt), (_, ps, pt) = rows
print(f"{'ratio':<10} {qs / ps:>25.2f}x {qt / pt:>29.2f}x   (qualkit / ipykernel; below 1 is faster)")
