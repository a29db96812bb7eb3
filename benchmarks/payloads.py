"""Cost per data field of the payload chain and of an offload round trip, beside a plain inline field.

For JSON values of 1 KB, 30 KB and 200 KB (records of words and numbers,
about as compressible as real inputs) it times, best of N runs, one
``Payloads.encode`` (what an actor does before sending) and one
``Payloads.decode`` (what a decider or worker does on reading):

* ``plain`` -- ``Payloads()``: the baseline, a length check (n/a above 32,768);
* ``zlib`` -- compressed, inline when it fits;
* ``zlib+fernet`` -- compressed and encrypted;
* ``offload memory`` / ``directory`` / ``s3`` -- threshold 1 character, so
  every value is stored; the decode uses a fresh ``Payloads`` (no cache), so
  it includes the fetch. ``s3`` is moto's S3 server over loopback HTTP (the
  time of a real bucket adds the network round trip).

Run by hand: ``python benchmarks/payloads.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import time
from collections.abc import Callable
from typing import Any

from swf.payloads import DirectoryStore, Fernet, MemoryStore, Payloads, S3Store, Zlib

SIZES = (1_000, 30_000, 200_000)
WORDS = ("order", "shipped", "pending", "invoice", "customer", "warehouse", "parcel", "refund")


def _value(size: int) -> str:
    rng = random.Random(size)
    records: list[dict[str, Any]] = []
    while len(json.dumps(records)) < size:
        records.append({"id": rng.randrange(10**9), "state": rng.choice(WORDS), "amount": rng.random() * 1000})
    return json.dumps(records, separators=(",", ":"))


def _best(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=20, help="runs per measure; the best is kept")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request

    import boto3
    from cryptography.fernet import Fernet as FernetKey
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    s3.create_bucket(Bucket="bench")
    key = FernetKey.generate_key()
    with tempfile.TemporaryDirectory() as directory:
        memory = MemoryStore()
        chains: list[tuple[str, Callable[[], Payloads]]] = [
            ("plain (baseline)", Payloads),
            ("zlib", lambda: Payloads((Zlib(),))),
            ("zlib+fernet", lambda: Payloads((Zlib(), Fernet(key)))),
            ("offload memory", lambda: Payloads((Zlib(),), memory, threshold=1)),
            ("offload directory", lambda: Payloads((Zlib(),), DirectoryStore(directory), threshold=1)),
            ("offload s3 (moto)", lambda: Payloads((Zlib(),), S3Store("bench", "swf/", s3), threshold=1)),
        ]
        print(f"best of {args.repeat}; µs per field; 'sent' is the characters the field holds in the history")
        print(f"{'size':>8}  {'chain':<20} {'encode µs':>10} {'decode µs':>10} {'sent':>8}")
        for size in SIZES:
            value = _value(size)
            for name, make in chains:
                payloads = make()
                try:
                    sent = payloads.encode(value, "bench.input", domain="bench", workflow_id="w")
                except ValueError:
                    print(f"{len(value):>8}  {name:<20} {'n/a: over 32,768 characters':>30}")
                    continue
                encode = _best(
                    args.repeat, lambda p=payloads, v=value: p.encode(v, "bench.input", domain="bench", workflow_id="w")
                )
                # a fresh Payloads per decode: no cache, so an offloaded value is fetched each time
                decode = _best(args.repeat, lambda m=make, t=sent: m().decode(t, "bench.input"))
                print(f"{len(value):>8}  {name:<20} {encode:>10.1f} {decode:>10.1f} {len(sent or ''):>8}")
    s3.close()
    server.stop()


if __name__ == "__main__":
    main()
