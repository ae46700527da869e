# The README's front door. Both targets install what is missing (Debian packages), then build.
#   make demo   — build the bug tracker's services only and run them (local etcd, an SMTP sink, 2 notificators,
#                 users, bugs) through a short scenario, then keep them running until Ctrl-C (ONCE=1: exit
#                 after the walkthrough; TLS=1: every hop over TLS; REGISTRY=zk, consul, eureka or nacos:
#                 ZooKeeper or the Consul, Eureka or Nacos stand-in instead of etcd)
#   make demo-stringsvc — the toolkit's example service and its client, discovered through etcd
#   make test   — build and run every test: unit, integration, end to end, install, the ASan+UBSan suite, the TSan
#                 suite (test-tsan) and a short pass of every fuzz target
#   make test-tsan — ThreadSanitizer build and run of the concurrency-heavy suites (core, HTTP, gRPC, sd, etcd, zk, consul,
#                 the bug tracker's services); part of make test
#   make fuzz   — build the libFuzzer targets (clang) and run each for FUZZ_SECONDS (default 60)
#   make bench  — build and run the transport benchmarks (figures go to bench/RESULTS.md)
#   make bench-sd — build and run the service-discovery benchmarks (real etcd; figures to bench/RESULTS.md)
#   make bench-tracker — the bug tracker's POST /create end to end, memory: and SQLite (bench/RESULTS.md)
#   make bench-fleet   — the bug tracker through etcd member faults under load (root: network namespaces)
#   make bench-open-loop — POST /create at fixed rates (open loop: latency from each request's due time), a rate
#                 sweep with p50/p99/p99.9/max and CPU per request (bench/run_open_loop.sh; RATES=, DURATION=)
JOBS ?= $(shell nproc)
# Four builds share ccache (default, ASan, TSan, fuzz), and checkouts elsewhere share it too (CI's clean
# clone: CCACHE_BASEDIR in CMakeLists.txt, which gives ccache this size however a build is started).
export CCACHE_MAXSIZE ?= 15G
FUZZ_SECONDS ?= 60
.PHONY: deps build build-demo build-asan build-tsan build-fuzz test test-fast test-asan test-tsan test-fuzz fuzz demo demo-stringsvc bench bench-sd bench-tracker bench-fleet bench-open-loop clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake --preset default > /dev/null
	cmake --build --preset default -j $(JOBS)

build-asan: deps
	cmake --preset asan > /dev/null
	cmake --build --preset asan -j $(JOBS)

test-fast: build
	ctest --preset default -j $(JOBS)

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --preset asan -j $(JOBS)

# ThreadSanitizer: only the suites where threads meet (the library's unit tests, transports, discovery, and
# the bug tracker's services as processes, themselves built with TSan). A race report fails the test (TSan's
# exit code 66 at exit); children's logs are scanned too (tests/support/process.hpp).
TSAN_SUITES := core_test http_test grpc_test grpc_wire_test sd_test sd_etcd_test sd_zk_test sd_consul_test sd_eureka_test sd_nacos_test sd_dns_test bugtracker_test
build-tsan: deps
	cmake --preset tsan > /dev/null
	cmake --build --preset tsan -j $(JOBS) --target $(TSAN_SUITES)

# FleetTest is left out: it asserts how fast the fleet heals (milliseconds), which TSan's 5-15x slowdown
# makes meaningless; the paths it drives are run by the other suites here.
test-tsan: build-tsan
	TSAN_OPTIONS="second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --preset tsan -j $(JOBS) -L "^($(shell echo $(TSAN_SUITES) | tr ' ' '|'))$$" -E "^FleetTest\."

build-fuzz: deps
	cmake --preset fuzz > /dev/null
	cmake --build --preset fuzz -j $(JOBS)

# Every fuzz target, briefly (a regression that crashes on the seeds or soon after fails the build).
test-fuzz: build-fuzz
	bash tests/fuzz/run.sh build-fuzz/bin 5

fuzz: build-fuzz
	bash tests/fuzz/run.sh build-fuzz/bin $(FUZZ_SECONDS)

test: test-fast test-asan test-tsan test-fuzz

# The demo builds only what it runs (the three services), not the test suite.
build-demo: deps
	@echo "demo: configuring build/ ..."
	cmake --preset default > /dev/null
	@echo "demo: building notificator, users, bugs and the svckit CLI (the first build takes several minutes; ninja counts the steps) ..."
	cmake --build --preset default -j $(JOBS) --target notificator users bugs svckit-cli

demo: build-demo
	bash scripts/demo.sh

demo-stringsvc: build
	bash scripts/stringsvc-demo.sh

bench: build
	bash bench/run.sh

bench-sd: build
	bash bench/run_sd.sh

bench-open-loop: build
	bash bench/run_open_loop.sh

bench-tracker: build
	bash bench/run_tracker.sh

bench-fleet: build
	bash bench/run_fleet.sh

clean:
	rm -rf build build-asan build-fuzz
