# Shared by scripts/build-pkg.sh and scripts/size.sh (sourced, not run): how a size-first module
# of the package is built (docs/CLIENT-SIZE-PLAN.md), so that what is measured is what ships.
#
#   wasm_module CRATE MODULE DIR [size]
#                                  the no_std cdylib of CRATE (target/…/MODULE.wasm), optimized
#                                  with npm binaryen's wasm-opt into DIR/MODULE.wasm, functions
#                                  that only panic stubbed (scripts/wasm-stub-panics.mjs) and
#                                  panic texts blanked (scripts/wasm-blank-panics.py); fails if
#                                  core::fmt is in it (its names, after the same optimization,
#                                  are read by scripts/wasm-sizes.py from DIR/../names/).
#                                  `size`: built without .cargo/config.toml's inlining budget
#                                  (in target/size-first, so the two builds do not evict each
#                                  other), for a module whose speed is not the decoder's
#   minify_js SRC DEST             npm terser, keeping exports (and so the exported classes'
#                                  names; the files' own classes are renamed); properties whose
#                                  names start with `_` are the file's own (never API): mangled
#
# Needs `cd tools && npm install` (binaryen's wasm-opt and JS API, terser); Debian's binaryen breaks modules.

# --low-memory-unused: nothing lives in the first KB of Wasm memory (the core's stack ends and its
# data starts at 1 MiB, the SockJS module's data and stack sit above it: check_memory_layout), so wasm-opt may fold constant offsets into loads and stores (-640 B gzip, measured on
# the wasm-bindgen package this one replaced).
wasm_opt_flags=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-reference-types --enable-multivalue --enable-mutable-globals --converge --low-memory-unused)

wasm_module() {
  local crate=$1 module=$2 dir=$3 tuning=${4:-speed}
  local target_dir=target names=target/wasm-names
  # The core module: binaryen's -Os (which came out smaller than -Oz on it) with its control
  # flow flattened and rebuilt by the relooper in between: -121 B gzip, receive speed unchanged
  # (scripts/bench-receive.sh). Then its functions in the order of their names, which puts
  # the Rust paths' look-alike code side by side for gzip's window (-62 B; ordered by use,
  # --reorder-functions, -17 B; on the SockJS module by name is +19 B).
  local -a rustflags=() passes=(-Os --flatten --rereloop -Os --reorder-functions-by-name)
  if [ "$tuning" = size ]; then
    target_dir=target/size-first
    # RUSTFLAGS, even empty, replaces the target's rustflags of .cargo/config.toml.
    rustflags=(RUSTFLAGS=)
    # Dead arguments removed, control flow re-built (flatten, rereloop) and near-identical
    # functions merged before -Oz: -81 B gzip on the SockJS module, whose speed is the
    # network's (a third -Oz, past --converge's fixed point of the pair: -6 B). Not for the
    # core: its receive path is measured against stompjs.
    passes=(--dae-optimizing --merge-similar-functions --flatten --rereloop -Oz -Oz -Oz)
  fi
  local built=$target_dir/wasm32-unknown-unknown/release/$module.wasm
  mkdir -p "$dir" "$names"
  env "${rustflags[@]}" cargo build -q --release --target wasm32-unknown-unknown --target-dir "$target_dir" -p "$crate"
  # The functions that only ever panic, a bare trap (scripts/wasm-stub-panics.mjs).
  local stubbed=$target_dir/wasm32-unknown-unknown/release/$module.stubbed.wasm
  node scripts/wasm-stub-panics.mjs "$built" "$stubbed" >/dev/null
  built=$stubbed
  # What no browser reads goes too: the target-features section and the linker's exported
  # `__heap_base` / `__data_end` globals (-139 B gzip on the core).
  tools/node_modules/binaryen/bin/wasm-opt "${passes[@]}" "${wasm_opt_flags[@]}" --strip-debug --strip-producers \
    --strip-target-features --remove-exports --pass-arg='remove-exports@__*' "$built" -o "$dir/$module.wasm"
  # What only a panic message would read, zeroed (the handler traps without reading it).
  python3 scripts/wasm-blank-panics.py "$dir/$module.wasm" >/dev/null
  # std's panic hook brought 6.5 KB of formatting machinery to the wasm-bindgen package; a
  # no_std module traps on panic instead, and this keeps it that way.
  tools/node_modules/binaryen/bin/wasm-opt "${passes[@]}" -g "${wasm_opt_flags[@]}" "$built" -o "$names/$module.wasm"
  python3 scripts/wasm-sizes.py "$names/$module.wasm" 0 --forbid '9Formatter|3fmt5write|fmt::write|Formatter' >/dev/null ||
    { echo "core::fmt is back in $module (python3 scripts/wasm-sizes.py $names/$module.wasm 40)" >&2; return 1; }
}

# Four of terser's rewrites left out and one added, for gzip rather than for raw bytes: the
# source's `if`s, comparisons and statements stay as written (not folded into `?:` and comma
# sequences, which make every spot unlike the others) and its function declarations are hoisted;
# client.js -33 B gzip, sockjs.js -19 (raw bytes grow a little). None of them changes what the
# code does (terser's `unsafe` options, which would, stay off).
# The files import each other by their names in pkg-core/js/ (so the node tests and the browser
# tests' snippets load them as they are); the package names client.js stomp_wasm.js.
minify_js() {
  tools/node_modules/.bin/terser "$1" --module --ecma 2020 \
    --compress passes=2,conditionals=false,comparisons=false,sequences=false,if_return=false,hoist_funs=true \
    --mangle --mangle-props regex=/^_/ --comments false -o "$2"
  sed -i 's#"./client.js"#"./stomp_wasm.js"#' "$2"
}

# check_memory_layout: fails if the SockJS module's data and stack would overlap the core's
# data, stack or heap in the one memory they share (pkg-sockjs/build.rs places them; checked on
# the linker's output, scripts/wasm-layout.mjs). Builds the core first if needed.
check_memory_layout() {
  cargo build -q --release --target wasm32-unknown-unknown -p stomp-wasm-core
  node scripts/wasm-layout.mjs target/wasm32-unknown-unknown/release/stomp_wasm_core.wasm \
    target/size-first/wasm32-unknown-unknown/release/stomp_wasm_sockjs.wasm >/dev/null
}
