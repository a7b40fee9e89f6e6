#!/bin/bash
# libFuzzer + ASAN + UBSAN over the portable engine (checker and interpreter).
#   scripts/fuzz-engine.sh [RUNS [extra libFuzzer args]]   (default: 1000000 runs)
# Seeds: the conformance vectors (../shared/conformance) as binary programs.
# Builds target/fuzz/engine_fuzz; the corpus grows in target/fuzz/corpus.
# Exit status non-zero and a crash-* file if anything is found.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000000}; shift || true
out=target/fuzz
mkdir -p "$out/corpus"
clang -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-strict-aliasing -I driver/engine -DEBPF_OBSERVE \
	tests/fuzz/engine_fuzz.c driver/engine/ebpf_check.c driver/engine/ebpf_interp.c driver/engine/ebpf_skb.c \
	driver/engine/ebpf_kinds.c driver/engine/ebpf_jit_x86.c driver/engine/ebpf_jit.c tests/host/kinds_oracle.c \
	-o "$out/engine_fuzz"
vectors=../shared/conformance/vectors.jsonl
if [ -f "$vectors" ] && [ -z "$(ls -A "$out/corpus")" ]; then
	python3 - "$vectors" "$out/corpus" <<'PY'
import json, sys, os
for i, line in enumerate(open(sys.argv[1])):
    v = json.loads(line)
    for flags in (0x0c, 0x09):  # ctx 513 writable, checked; ctx 0 unchecked
        with open(os.path.join(sys.argv[2], "v%04d_%x" % (i, flags)), "wb") as f:
            f.write(bytes([flags]) + bytes.fromhex(v["insns"]))
# bpf_loop(3, callback, NULL, 0) with a callback returning 0: a seed for callbacks
loop = "b701000003000000" "1842000005000000" "0000000000000000" "b703000000000000" \
       "b704000000000000" "85000000b5000000" "9500000000000000" "b700000000000000" "9500000000000000"
# for_each_map_elem(map 0, callback, NULL, 0) with a callback returning 0
each = "1811000000000000" "0000000000000000" "1842000005000000" "0000000000000000" \
       "b703000000000000" "b704000000000000" "85000000a4000000" "9500000000000000" \
       "b700000000000000" "9500000000000000"
# a socket filter: r6 = ctx; r0 = ldabsb [12]; r0 = ldindh [r0 + 2]; r0 = *(u32 *)(r6 + 0)
skb = "bf16000000000000" "300000000c000000" "4800000002000000" "6160000000000000" "9500000000000000"
for name, prog, flag_set in (("loop", loop, (0x0c, 0x09)), ("each", each, (0x0c, 0x09)),
                             ("skb", skb, (0x70, 0x31))):
    for flags in flag_set:
        with open(os.path.join(sys.argv[2], "%s_%x" % (name, flags)), "wb") as f:
            f.write(bytes([flags]) + bytes.fromhex(prog))
PY
fi
exec "$out/engine_fuzz" -runs="$runs" -max_len=4097 -print_final_stats=1 \
	-artifact_prefix="$out/" "$@" "$out/corpus"
