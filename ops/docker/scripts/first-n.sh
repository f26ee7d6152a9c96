#!/bin/sh
# first-n.sh COUNT LIST NAME: the first COUNT items of the comma-separated LIST, one per line;
# exits 2 with a message naming NAME when COUNT is not a whole number in 1…(items in LIST).
# docker-compose.scale.yml lists every replica's address; API_REPLICAS says how many run.
set -eu
count="$1" list="$2" name="$3"
max=$(printf '%s\n' "$list" | tr ',' '\n' | grep -c .)
case "$count" in
  '' | *[!0-9]*) echo "$name must be a whole number from 1 to $max (got '$count')" >&2; exit 2 ;;
esac
if [ "$count" -lt 1 ] || [ "$count" -gt "$max" ]; then
  echo "$name must be from 1 to $max (got $count)" >&2
  exit 2
fi
printf '%s\n' "$list" | tr ',' '\n' | grep . | head -n "$count"
