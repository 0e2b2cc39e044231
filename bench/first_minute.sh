#!/usr/bin/env bash
# Times a newcomer's first minute: a fresh clone of this repository, the README's first command, and the
# console's answer to /naeste in Danish. (pip's download cache, if warm, makes this faster than a new machine.)
# Run from the project root: bash bench/first_minute.sh
set -euo pipefail
repo=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
first_command=$(awk '/^```sh$/{n++; next} /^```$/{next} n==1 && NF {print; exit}' README.md)
start=$(date +%s.%N)
git clone -q "$repo" "$work/kkrbot"
cd "$work/kkrbot"
answer=$(printf '/naeste\n/quit\n' | bash -c "$first_command" 2>&1 | grep -v "WARNING: Location" || true)
end=$(date +%s.%N)
echo "$answer" | grep -q "fredag den" || { echo "no Danish answer:"; echo "$answer"; exit 1; }
echo "$answer" | sed -n '1,12p'
printf 'first minute: %.1f s from git clone to the answer\n' "$(echo "$end - $start" | bc)"
