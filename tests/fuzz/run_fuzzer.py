#!/usr/bin/env python3
"""Runs one libFuzzer binary for a bounded time on a scratch copy of its seed corpus.

usage: run_fuzzer.py FUZZER SEED_CORPUS_DIR ARTIFACT_DIR [DICT]

The seed corpus in the source tree is never written to: libFuzzer works in
a temporary directory that is removed afterwards. Crash, leak, timeout and
OOM reproducers are kept in ARTIFACT_DIR (in the build tree).
XMPPIM_FUZZ_SECONDS sets the run time (default 60); XMPPIM_FUZZ_SEED the
mutation seed (default 1, so that CI runs of one build repeat each other;
0 lets libFuzzer pick one, for exploring); XMPPIM_FUZZ_ARGS adds
libFuzzer flags (split on whitespace).
"""
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    fuzzer, seeds, artifacts = sys.argv[1:4]
    seconds = int(os.environ.get("XMPPIM_FUZZ_SECONDS", "60"))
    seed = int(os.environ.get("XMPPIM_FUZZ_SEED", "1"))
    os.makedirs(artifacts, exist_ok=True)
    work = tempfile.mkdtemp(prefix="xmppim-fuzz-")
    try:
        corpus = os.path.join(work, "corpus")
        shutil.copytree(seeds, corpus)
        cmd = [
            fuzzer,
            "-max_total_time=%d" % seconds,
            "-seed=%d" % seed,
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-max_len=65536",
            "-print_final_stats=1",
            # libFuzzer's default 77 would read as "skipped" to meson.
            "-error_exitcode=1",
            "-artifact_prefix=" + os.path.join(os.path.abspath(artifacts), ""),
        ]
        if len(sys.argv) == 5:
            cmd.append("-dict=" + sys.argv[4])
        cmd += os.environ.get("XMPPIM_FUZZ_ARGS", "").split()
        cmd.append(corpus)
        print(" ".join(cmd), flush=True)
        try:
            rc = subprocess.run(cmd, timeout=seconds + 300).returncode
        except subprocess.TimeoutExpired:
            print("fuzzer did not stop in time", flush=True)
            rc = 1
        if rc != 0:
            print("reproducers, if any, are in " + artifacts, flush=True)
            rc = 1  # never 77 (skip) or a signal number
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
