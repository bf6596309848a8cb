#!/usr/bin/env bash
# Throughput and peak memory of `jwt-audit summarize` on large logs, with `wc -l` and
# `gzip -dc` as same-run baselines. Usage: cli/bench/summarize.sh [SIZE_MB] (default 1024).
#
#   plain    SIZE_MB of demo records (the demo's 15 minutes repeated; few distinct values)
#   gzip     the same file, gzip -1
#   distinct SIZE_MB/4 where every rejected record has its own fingerprint, kid, subject and
#            client IP (a spraying attacker): the bounded top-N tables work hardest here
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MB=${1:-1024}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release -q -p jwt-audit-cli
BIN=target/release/jwt-audit

"$BIN" demo --quiet --requests 24000 --out "$WORK/unit.jsonl"
unit_bytes=$(stat -c %s "$WORK/unit.jsonl")
copies=$(( SIZE_MB * 1024 * 1024 / unit_bytes + 1 ))
for _ in $(seq "$copies"); do cat "$WORK/unit.jsonl"; done > "$WORK/plain.jsonl"
gzip -1 -c "$WORK/plain.jsonl" > "$WORK/plain.jsonl.gz"
head -c $(( SIZE_MB * 1024 * 1024 / 4 )) "$WORK/plain.jsonl" | perl -ne '
  if (/"outcome":"rejected"/) {
    s/"fingerprint":"[^"]*"/"fingerprint":"sha256:spray$."/;
    s/"kid":"[^"]*"/"kid":"kid-$."/;
    s/"sub":"[^"]*"/"sub":"user-$."/;
    my $ip = join ".", 10, ($. >> 16) & 255, ($. >> 8) & 255, $. & 255;
    s/"client_ip":"[^"]*"/"client_ip":"$ip"/;
  }
  print' > "$WORK/distinct.jsonl"

# seconds and peak RSS (KB) of a command, stdout discarded
measure() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
calc() { awk "BEGIN { printf \"%.${1}f\", $2 }"; }
mb() { calc 1 "$(stat -c %s "$1") / 1048576"; }

echo "| input | size (MB) | records | summarize (s) | summarize (MB/s) | peak RSS (MB) | baseline | baseline (MB/s) |"
echo "|---|---|---|---|---|---|---|---|"
plain_rate=
for kind in plain gzip distinct; do
  case $kind in
    plain) file=$WORK/plain.jsonl; base=(wc -l "$file") ;;
    gzip) file=$WORK/plain.jsonl.gz; base=(gzip -dc "$file") ;;
    distinct) file=$WORK/distinct.jsonl; base=() ;;
  esac
  size=$(mb "$WORK/${kind/gzip/plain}.jsonl")
  records=$("$BIN" summarize --format json "$file" | sed -n 's/^  "records": \([0-9]*\),$/\1/p')
  read -r secs rss < <(measure "$BIN" summarize --format json "$file")
  r=$(calc 0 "$size / $secs")
  if [ ${#base[@]} -gt 0 ]; then
    read -r bsecs _ < <(measure "${base[@]}")
    baseline="\`${base[0]}\`"
    brate=$(calc 0 "$size / ($bsecs > 0 ? $bsecs : 0.01)")
  else
    baseline="summarize of plain"
    brate=$plain_rate
  fi
  [ "$kind" = plain ] && plain_rate=$r
  echo "| $kind | $size | $records | $secs | $r | $(( rss / 1024 )) | $baseline | $brate |"
done
