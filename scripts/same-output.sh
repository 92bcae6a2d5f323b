#!/usr/bin/env bash
# scripts/same-output.sh REV: checks that the working tree's build writes the
# same bytes as revision REV's on a fixed set of commands — encode at every
# speed and in every rate-control mode, xc in process and on worker processes,
# the chunk tools (encode-given-state, rebase, state files), the decoder on
# every test vector, and the simulator (several seeds, failures, a sweep and a
# timeline). For restructurings that must not change behaviour.
#
#   bash scripts/same-output.sh main     # prints SAME (N outputs) or the differing files
set -uo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
REV="${1:?usage: scripts/same-output.sh REV}"
WORK="$(mktemp -d)"
trap 'git -C "$REPO" worktree remove --force "$WORK/base" >/dev/null 2>&1; rm -rf "$WORK"' EXIT

# Runs every command with the build under ROOT, outputs into OUT.
outputs() {
ROOT=$1; OUT=$2; mkdir -p "$OUT"
X="node $ROOT/dist/src/cli/main.js"
F=$REPO/fixtures/clips
V=$REPO/fixtures/vectors
strip() { grep -v -E '"(seconds|elapsed|fps|wallSeconds|peakRssMB|realtime|encodeSeconds|decodeSeconds|ms|time)' ; }
# encode: every speed on carphone, rate control modes, webm, partitions
for s in 0 1 2 3 4 5; do $X encode $F/carphone_qcif_176x144_120f.y4m -o $OUT/enc-car-s$s.ivf --speed $s --limit 40 -q >/dev/null; done
$X encode $F/foreman_cif_352x288_60f.y4m -o $OUT/enc-fore.ivf --limit 30 -q >/dev/null
$X encode $F/foreman_cif_352x288_60f.y4m -o $OUT/enc-fore-q.webm --quantizer 12 --speed 0 --limit 12 -q >/dev/null
$X encode $F/foreman_cif_352x288_60f.y4m -o $OUT/enc-fore-br.ivf --target-bitrate 300 --speed 4 --token-partitions 2 --golden-interval 5 --limit 40 -q >/dev/null
$X encode $F/flower_720p_1280x720_12f.y4m -o $OUT/enc-flower.ivf --speed 3 -q >/dev/null
$X encode $F/carphone_qcif_176x144_120f.y4m -o $OUT/enc-car-kf.ivf --keyframe-interval 7 --cq-level 40 --speed 1 --limit 30 -q >/dev/null
# xc
i=0
while read -r clip args; do
  i=$((i+1))
  for be in inprocess local; do
    $X xc $F/$clip -o $OUT/xc-$i-$be.ivf --backend $be -q $args >/dev/null 2>&1 || echo "xc $i $be failed" > $OUT/xc-$i-$be.fail
  done
done <<LIST
carphone_qcif_176x144_120f.y4m -n 6 -x 16 --limit 50
carphone_qcif_176x144_120f.y4m -n 4 -x 3 --speed 4
foreman_cif_352x288_60f.y4m -n 5 -x 1 --quantizer 30 --speed 4
foreman_cif_352x288_60f.y4m -n 6 -x 4 --limit 37 --speed 3
foreman_cif_352x288_60f.y4m -n 12 -x 2 --speed 0 --limit 24
LIST
# chunk tools: two chunks encoded independently, then encode-given-state and rebase
$X encode $F/foreman_cif_352x288_60f.y4m -o $OUT/c0.ivf --limit 6 -q >/dev/null
$X state final $OUT/c0.ivf -o $OUT/c0.state >/dev/null
ffmpeg -loglevel error -y -i $F/foreman_cif_352x288_60f.y4m -vf select='between(n\,6\,11)' -vsync 0 -f yuv4mpegpipe $OUT/raw1.y4m 2>/dev/null
$X encode $OUT/raw1.y4m -o $OUT/c1.ivf -q >/dev/null
$X state final $OUT/c1.ivf -o $OUT/c1.state >/dev/null
$X encode-given-state $OUT/c1.ivf --state $OUT/c0.state --raw $OUT/raw1.y4m -o $OUT/c1g.ivf --final-state $OUT/c1g.state >/dev/null
$X encode-given-state $OUT/c1.ivf --state $OUT/c0.state --raw $OUT/raw1.y4m -o $OUT/c1g-w.ivf --key-quantizer-weight 0.5 --speed 4 >/dev/null
$X rebase $OUT/c1.ivf --from $OUT/c0.state --state $OUT/c1g.state --raw $OUT/raw1.y4m -o $OUT/c1r.ivf --final-state $OUT/c1r.state >/dev/null
(cd $OUT && $X state dump c1r.state --json > c1r.dump.json)
# decoder on every vector
for v in $V/*.ivf; do $X decode $v --md5 -q > $OUT/dec-$(basename $v).md5; done
# simulator
for seed in 1 2 3; do
  $X simulate -f 21312 -n 6 -x 16 --seed $seed --json | strip > $OUT/sim-616-$seed.json
  $X simulate -f 4000 -n 6 -x 1 --cq-level 30 --failure-probability 0.001 --seed $seed --json | strip > $OUT/sim-61-$seed.json
done
$X simulate -f 3000 -n 12 -x 2 --seed 4 --timeline $OUT/timeline.html --json | strip > $OUT/sim-122.json
$X simulate sweep -f 3000 -n 6,12 -x 1,4,16 --seeds 2 -o $OUT/sweep.csv --svg $OUT/sweep.svg -q >/dev/null
}

git -C "$REPO" worktree add --detach "$WORK/base" "$REV" >/dev/null || exit 1
ln -s "$REPO/node_modules" "$WORK/base/node_modules"
(cd "$WORK/base" && npx tsc -p tsconfig.json) || { echo "cannot build $REV"; exit 1; }
(cd "$REPO" && npx tsc -p tsconfig.json) || { echo "cannot build the working tree"; exit 1; }
outputs "$WORK/base" "$WORK/before" >/dev/null 2>&1
outputs "$REPO" "$WORK/after" >/dev/null 2>&1
if diff -rq "$WORK/before" "$WORK/after"; then
  echo "SAME ($(ls "$WORK/before" | wc -l) outputs)"
else
  exit 1
fi
