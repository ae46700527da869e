#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60) on its seed corpus (tests/fuzz/corpus/<target>)
# plus a working corpus of its own (build-fuzz/corpus/<target>), and prints one line per target: executions
# per second, coverage (edges) and features reached, corpus size. A crash, leak, sanitizer report or hang
# stops that target with its reproducer in build-fuzz/crashes/ and the script exits 1.
#   bash tests/fuzz/run.sh BIN_DIR [SECONDS] [TARGET...]
set -uo pipefail
bin=$1
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
here=$(cd "$(dirname "$0")" && pwd)
work=$(cd "$bin/.." && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http_request_fuzz json_decode_fuzz proto_json_fuzz jwt_verify_fuzz registry_value_fuzz
                                      traceparent_fuzz etcd_watch_fuzz content_type_fuzz route_binding_fuzz instance_file_fuzz
                                      consul_health_fuzz dns_message_fuzz eureka_application_fuzz nacos_instances_fuzz
                                      grpc_wire_fuzz grpc_wire_client_fuzz)
mkdir -p "$work/crashes"
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t"
  log="$work/$t.log"
  echo "fuzz: $t for ${seconds}s ..."
  # -timeout: one input taking 10 s is a hang; -max_len: requests and tokens up to 16 KiB.
  extra=()
  # The servers' and the wire client's own threads allocate while an input runs, so libFuzzer's per-input leak check (which
  # fires when mallocs and frees of one input do not balance) would scan memory after every input: 5x
  # slower. Leaks are still reported when the run ends.
  case $t in http_request_fuzz | grpc_wire_fuzz | grpc_wire_client_fuzz) extra=(-detect_leaks=0) ;; esac
  "$bin/$t" "$work/corpus/$t" "$here/corpus/$t" -max_total_time="$seconds" -timeout=10 -max_len=16384 "${extra[@]}" \
    -print_final_stats=1 -artifact_prefix="$work/crashes/$t-" > "$log" 2>&1
  rc=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
  execs=$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<< "$done_line")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$done_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<< "$done_line")
  if [ $rc -ne 0 ]; then
    failed=1
    tail -40 "$log"
    echo "FAIL: $t exited $rc; reproducer: $(ls -t "$work/crashes/$t-"* 2>/dev/null | head -1)"
  else
    echo "fuzz: $t ok: ${execs:-?} exec/s, cov ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?}"
  fi
done
exit $failed
