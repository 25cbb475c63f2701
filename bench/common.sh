# Shell helpers shared by the benchmark scripts (sourced, not run).
# Callers define `child_pid` and stop it in their EXIT trap.

# Runs "$@" as a background child and waits for it, so that a signal reaches
# the caller's trap at once and its cleanup can stop the child. Returns the
# child's exit status.
run_child() {
  "$@" &
  child_pid=$!
  local rc=0
  wait "$child_pid" || rc=$?
  child_pid=""
  return "$rc"
}

# Median of the numbers on stdin (one a line); "n/a" when there are none.
median() {
  sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) { printf "n/a"; exit }
          if (NR % 2) printf "%.6g", v[(NR + 1) / 2];
          else printf "%.6g", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# awk arithmetic on the expression "$1" (numbers only; printf format "$2").
calc() { awk "BEGIN { printf \"${2:-%.6g}\", $1 }"; }
